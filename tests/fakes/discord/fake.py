"""A local Discord: enough of the v10 REST API and gateway websocket for the real discord.py client.

It enforces what real Discord enforces (acknowledgement deadline, one acknowledgement, token
lifetime, message and component limits, upload size, command schema) and answers with
Discord's status codes and error JSON. Tests inject interactions and inspect messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import secrets
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import WSMsgType, web
from PIL import Image

from tests.paths import DISCORD_OPENAPI

from . import _errors as E
from ._errors import DiscordError
from ._limits import check_autocomplete_choices, check_commands, check_message, error_from
from ._model import Attachment, Channel, Interaction, Message, Role, User, snowflake
from ._spec import load_validator

T = TypeVar("T")
ACK_DEADLINE = 3.0
TOKEN_LIFETIME = 15 * 60
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
NONCE_WINDOW = 5 * 60  # seconds Discord remembers an enforced nonce (a few minutes, per its docs)
_MENTION = re.compile(r"<@!?(\d+)>")
_PARSE_ALL = {"parse": ["users", "roles", "everyone"]}
# Guild fields only the gateway's GUILD_CREATE carries; GET /guilds/{id} returns the others.
_GATEWAY_ONLY_GUILD = frozenset(
    ("joined_at", "large", "unavailable", "member_count", "members", "channels", "threads", "presences", "voice_states")
)


class FakeDiscord:
    """The server plus a test-facing API (``slash``, ``click``, ``wait_for`` …)."""

    def __init__(self, *, token: str = "fake-bot-token", upload_limit: int = DEFAULT_UPLOAD_LIMIT) -> None:
        self.token = token
        self.upload_limit = upload_limit
        self.clock_offset = 0.0
        self.ack_deadline = ACK_DEADLINE  # tests may shrink it to make every acknowledgement late
        self.application_id = snowflake()
        self.bot_user = User(snowflake(), "Imagine", bot=True)
        self.guild_id = snowflake()
        # Inviting a bot with permissions gives it a managed role with them: View Channels, Send Messages,
        # Embed Links, Attach Files and Read Message History, unless a test takes some away.
        self.bot_role_id = snowflake()
        self.bot_permissions = 0x400 | 0x800 | 0x4000 | 0x8000 | 0x10000
        self.channel = Channel(snowflake(), self.guild_id, "general")
        self.other_channel = Channel(snowflake(), self.guild_id, "art")
        self.thread = Channel(snowflake(), self.guild_id, "a thread", parent_id=self.channel.id)
        self.dm_channel = Channel(snowflake(), None, "dm")
        self.channels = {c.id: c for c in (self.channel, self.other_channel, self.thread, self.dm_channel)}
        self.users = {name: User(snowflake(), name) for name in ("alice", "bob", "carol", "dave", "mod")}
        self.moderators = {self.users["mod"].id}  # Manage Messages (and everything else)
        self.managers: set[int] = set()  # Manage Server, and nothing else beyond the basics
        self.roles = {
            name: Role(snowflake(), name, position) for position, name in enumerate(("artist", "booster", "patron"), 2)
        }
        self.member_roles: dict[int, set[int]] = {}  # user id -> role ids
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> commands
        self.command_puts = 0
        self.messages: dict[int, Message] = {}
        self.interactions: dict[int, Interaction] = {}
        self.errors: list[tuple[str, int, int]] = []  # (route, status, code) of every refusal
        self.identified = asyncio.Event()
        self.identify_count = 0
        self.resumes = 0
        self.gateway_bot_url: str | None = None  # what /gateway/bot answers instead of this websocket
        self.requests_seen: list[str] = []  # "PATCH /api/v10/webhooks/{app}/{token}/messages/{message}", …
        self.shards_identified: list[tuple[int, int]] = []  # [shard id, shard count] of every IDENTIFY
        self._connections: list[_Connection] = []
        self._sessions: dict[str, tuple[int, int]] = {}  # session id -> shard, for RESUME
        self.base_url = ""
        self._changed = asyncio.Condition()
        self._validator = load_validator(DISCORD_OPENAPI)

    # ----------------------------------------------------------------- clock
    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (token expiry, acknowledgement deadline)."""
        self.clock_offset += seconds

    # ------------------------------------------------------------------ app
    def app(self) -> web.Application:
        app = web.Application(client_max_size=200 * 1024 * 1024, middlewares=[self._errors_middleware])
        r = app.router
        api = "/api/v10"
        r.add_get(f"{api}/users/@me", self._me)
        r.add_get(f"{api}/oauth2/applications/@me", self._application)
        r.add_get(f"{api}/applications/@me", self._application)
        r.add_get(f"{api}/gateway/bot", self._gateway_bot)
        r.add_get(f"{api}/gateway", self._gateway_bot)
        for path in ("/applications/{app}/commands", "/applications/{app}/guilds/{guild}/commands"):
            r.add_put(api + path, self._put_commands)
            r.add_get(api + path, self._get_commands)
        r.add_post(f"{api}/interactions/{{id}}/{{token}}/callback", self._callback)
        r.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup)
        r.add_route("*", f"{api}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._webhook_message)
        r.add_post(f"{api}/channels/{{channel}}/messages", self._create_message)
        r.add_get(f"{api}/channels/{{channel}}/messages", self._list_messages)
        r.add_route("*", f"{api}/channels/{{channel}}/messages/{{message}}", self._channel_message)
        r.add_get(f"{api}/channels/{{channel}}", self._get_channel)
        r.add_get(f"{api}/guilds/{{guild}}", self._get_guild)
        r.add_get(f"{api}/guilds/{{guild}}/members/{{user}}", self._get_member)
        r.add_get("/attachments/{channel}/{attachment}/{filename}", self._cdn)
        r.add_get("/gateway", self._websocket)
        return app

    @web.middleware
    async def _errors_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        route = request.match_info.route.resource
        self.requests_seen.append(f"{request.method} {route.canonical if route is not None else request.path}")
        try:
            return await handler(request)  # type: ignore[no-any-return]
        except DiscordError as error:
            self.errors.append((f"{request.method} {request.path}", error.status, error.code))
            return error.response()

    # --------------------------------------------------------------- basics
    def _bot_auth(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise error_from(E.UNAUTHORIZED)

    async def _me(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        return _json(self.bot_user.to_json())

    async def _application(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        owner = self.users["alice"].to_json()
        return _json({
            "id": str(self.application_id), "name": "Imagine", "icon": None, "description": "", "summary": "",
            "bot_public": True, "bot_require_code_grant": False, "owner": owner, "verify_key": "0" * 64,
            "flags": 0, "team": None, "rpc_origins": [], "bot": self.bot_user.to_json(),
        })  # fmt: skip

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        ws_url = self.gateway_bot_url or self.base_url.replace("http://", "ws://") + "/gateway"
        return _json({"url": ws_url, "shards": 1, "session_start_limit": limit})

    async def _get_channel(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        return _json(self._channel(request).to_json())

    async def _get_guild(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        if request.match_info["guild"] != str(self.guild_id):
            raise error_from(E.UNKNOWN_GUILD)
        return _json({key: value for key, value in self._guild_json().items() if key not in _GATEWAY_ONLY_GUILD})

    async def _get_member(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        if request.match_info["guild"] != str(self.guild_id):
            raise error_from(E.UNKNOWN_GUILD)
        if request.match_info["user"] != str(self.bot_user.id):
            raise error_from(E.UNKNOWN_MEMBER)
        return _json(self._bot_member_json())

    def _channel(self, request: web.Request) -> Channel:
        channel = self.channels.get(int(request.match_info["channel"]))
        if channel is None:
            raise error_from(E.UNKNOWN_CHANNEL)
        return channel

    # ------------------------------------------------------------- commands
    async def _put_commands(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        if int(request.match_info["app"]) != self.application_id:
            raise error_from(E.MISSING_ACCESS)
        body = await request.json()
        template = request.match_info.route.resource.canonical  # type: ignore[union-attr]
        check_commands(body)
        self._validator.validate("put", _openapi_template(template), body)
        scope = request.match_info.get("guild", "global")
        stored = []
        for command in body:
            stored.append({**command, "id": str(snowflake()), "application_id": str(self.application_id),
                           "version": str(snowflake()), "type": command.get("type", 1)})  # fmt: skip
        self.commands[scope] = stored
        self.command_puts += 1
        await self._notify()
        return _json(stored)

    async def _get_commands(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        return _json(self.commands.get(request.match_info.get("guild", "global"), []))

    def registered(self, name: str) -> dict[str, Any]:
        """A registered top-level command, from the guild scope or the global one."""
        for scope in (str(self.guild_id), "global"):
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return command
        raise KeyError(f"/{name} is not registered")

    # --------------------------------------------------------- interactions
    def _interaction(self, request: web.Request, *, for_webhook: bool) -> Interaction:
        token = request.match_info["token"]
        found = next((i for i in self.interactions.values() if i.token == token), None)
        if for_webhook:
            if int(request.match_info["app"]) != self.application_id or found is None:
                raise DiscordError(404, 10015, "Unknown Webhook")
            if self.now() - found.created_at > TOKEN_LIFETIME:
                raise error_from(E.INVALID_WEBHOOK_TOKEN)
            if not found.acknowledged:
                raise DiscordError(404, 10015, "Unknown Webhook")
            return found
        if found is None or found.id != int(request.match_info["id"]):
            raise error_from(E.UNKNOWN_INTERACTION)
        return found

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request, for_webhook=False)
        payload, files = await self._read_body(request)
        if isinstance(payload.get("data"), dict):
            check_message(payload["data"], len(files))  # Discord's specific limits first, then the schema
        self._validator.validate("post", "/interactions/{interaction_id}/{interaction_token}/callback", payload)
        if self.now() - interaction.created_at > self.ack_deadline:
            raise error_from(E.UNKNOWN_INTERACTION)
        if interaction.acknowledged:
            raise error_from(E.ALREADY_ACKNOWLEDGED)
        kind = payload["type"]
        data = payload.get("data") or {}
        message: Message | None = None
        if kind in (4, 5):
            ephemeral = bool(data.get("flags", 0) & 64)
            self._check_files(files)
            check_message(data, len(files))
            message = self._new_message(
                interaction.channel, content=data.get("content", "") if kind == 4 else "",
                webhook=True, interaction=interaction, ephemeral_to=interaction.user.id if ephemeral else None,
            )  # fmt: skip
            message.type = 20 if interaction.type == 2 else 19
            if kind == 5:
                message.flags |= 128  # LOADING: "<bot> is thinking…"
            else:
                self._apply(message, data, files, replace_attachments=True)
            interaction.original_id = message.id
        elif kind == 7:
            message = self.messages[int(interaction.payload["message"]["id"])]
            check_message(data, len(files))
            self._apply(message, data, files, replace_attachments="attachments" in data)
        elif kind == 8:
            check_autocomplete_choices(data.get("choices", []))
        elif kind == 9 and interaction.type in (4, 5):
            raise E.invalid_form("type", "INTERACTION_RESPONSE_TYPE_INVALID", "A modal cannot answer this interaction")
        interaction.acked_at = self.now()
        interaction.ack_latency = time.monotonic() - interaction.dispatched_monotonic
        interaction.ack_type = kind
        interaction.response = payload
        await self._notify()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        summary: dict[str, Any] = {"id": str(interaction.id), "type": interaction.type}
        out: dict[str, Any] = {"interaction": summary}
        if message is not None:
            summary |= {"response_message_id": str(message.id), "response_message_loading": message.loading,
                        "response_message_ephemeral": message.ephemeral_to is not None}  # fmt: skip
            out["resource"] = {"type": kind, "message": message.to_json(self.base_url)}
        return _json(out)

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request, for_webhook=True)
        payload, files = await self._read_body(request)
        check_message(payload, len(files))
        self._validator.validate("post", "/webhooks/{webhook_id}/{webhook_token}", payload)
        self._check_files(files)
        original = self.messages.get(interaction.original_id or 0)
        if original is not None and original.loading and not original.deleted:
            # Discord: the first follow-up after a deferred response replaces the loading message.
            message = original
            message.flags &= ~128
        else:
            ephemeral = bool(payload.get("flags", 0) & 64)
            message = self._new_message(interaction.channel, webhook=True, interaction=interaction,
                                        ephemeral_to=interaction.user.id if ephemeral else None)  # fmt: skip
        self._apply(message, payload, files, replace_attachments=True)
        await self._notify()
        return _json(message.to_json(self.base_url))

    async def _webhook_message(self, request: web.Request) -> web.StreamResponse:
        interaction = self._interaction(request, for_webhook=True)
        target = request.match_info["message"]
        message_id = interaction.original_id if target == "@original" else int(target)
        message = self.messages.get(message_id or 0)
        if message is None or message.deleted or message.interaction_id != interaction.id:
            raise error_from(E.UNKNOWN_MESSAGE)
        template = "/webhooks/{webhook_id}/{webhook_token}/messages/" + (
            "@original" if target == "@original" else "{message_id}"
        )
        return await self._message_verb(request, message, template)

    # -------------------------------------------------------------- channel
    async def _create_message(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        channel = self._channel(request)
        if not channel.bot_can_send:
            raise error_from(E.MISSING_PERMISSIONS)
        payload, files = await self._read_body(request)
        check_message(payload, len(files))
        self._validator.validate("post", "/channels/{channel_id}/messages", payload)
        self._check_files(files)
        if payload.get("enforce_nonce") and (repeated := self._by_nonce(channel, payload.get("nonce"))) is not None:
            return _json(repeated.to_json(self.base_url))  # Discord returns the first message, posts nothing
        message = self._new_message(channel)
        message.nonce = str(payload["nonce"]) if payload.get("nonce") is not None else None
        reference = payload.get("message_reference")
        if reference:
            referenced = self.messages.get(int(reference["message_id"]))
            if referenced is None or referenced.deleted:
                if reference.get("fail_if_not_exists", True):
                    raise E.invalid_form("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
            else:
                message.reference_id = referenced.id
        self._apply(message, payload, files, replace_attachments=True)
        await self._notify()
        return _json(message.to_json(self.base_url))

    async def _list_messages(self, request: web.Request) -> web.Response:
        self._bot_auth(request)
        channel = self._channel(request)
        visible = [
            m for m in self.messages.values() if m.channel_id == channel.id and not m.deleted and m.ephemeral_to is None
        ]
        limit = int(request.query.get("limit", "50"))
        return _json([m.to_json(self.base_url) for m in sorted(visible, key=lambda m: -m.id)[:limit]])

    async def _channel_message(self, request: web.Request) -> web.StreamResponse:
        self._bot_auth(request)
        self._channel(request)
        message = self.messages.get(int(request.match_info["message"]))
        if message is None or message.deleted or message.ephemeral_to is not None:
            raise error_from(E.UNKNOWN_MESSAGE)
        if request.method == "PATCH" and message.author.id != self.bot_user.id:
            raise error_from(E.CANNOT_EDIT_OTHERS)
        return await self._message_verb(request, message, "/channels/{channel_id}/messages/{message_id}")

    async def _message_verb(self, request: web.Request, message: Message, template: str) -> web.StreamResponse:
        if request.method == "GET":
            return _json(message.to_json(self.base_url))
        if request.method == "DELETE":
            message.deleted = True
            await self._notify()
            return web.Response(status=204)
        if request.method != "PATCH":
            raise web.HTTPMethodNotAllowed(request.method, ["GET", "PATCH", "DELETE"])
        payload, files = await self._read_body(request)
        existing = {a.id for a in message.attachments}
        listed = payload.get("attachments")
        kept = len(existing) if listed is None else sum(1 for a in listed if int(a["id"]) in existing)
        check_message(payload, kept + len(files))
        self._validator.validate("patch", template, payload)
        self._check_files(files)
        message.flags &= ~128
        self._apply(message, payload, files, replace_attachments="attachments" in payload)
        message.edited_at = self.now()
        message.revisions += 1
        await self._notify()
        return _json(message.to_json(self.base_url))

    async def _cdn(self, request: web.Request) -> web.Response:
        attachment_id = int(request.match_info["attachment"])
        for message in self.messages.values():
            for attachment in message.attachments:
                if attachment.id == attachment_id and attachment.filename == request.match_info["filename"]:
                    return web.Response(body=attachment.data, content_type=attachment.content_type)
        return web.Response(status=404)

    # --------------------------------------------------------- message body
    async def _read_body(self, request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        if not request.content_type.startswith("multipart/"):
            return (await request.json() if request.can_read_body else {}), []
        payload: dict[str, Any] = {}
        files: list[tuple[str, bytes]] = []
        reader = await request.multipart()
        async for part in reader:
            if part.name == "payload_json":
                payload = json.loads(await part.text())  # type: ignore[union-attr]
            elif part.name and part.name.startswith("files["):
                files.append((part.filename or "file", bytes(await part.read())))  # type: ignore[union-attr]
        return payload, files

    def _check_files(self, files: list[tuple[str, bytes]]) -> None:
        for _, data in files:
            if len(data) > self.upload_limit:
                raise error_from(E.ENTITY_TOO_LARGE)

    def _by_nonce(self, channel: Channel, nonce: object) -> Message | None:
        """A message the bot posted in ``channel`` with ``nonce`` in the last few minutes (Discord's window)."""
        if nonce is None:
            return None
        return next(
            (m for m in self.messages.values() if m.channel_id == channel.id and m.nonce == str(nonce)
             and self.now() - m.created_at < NONCE_WINDOW),
            None,
        )  # fmt: skip

    def _new_message(
        self, channel: Channel, *, content: str = "", webhook: bool = False, interaction: Interaction | None = None,
        ephemeral_to: int | None = None,
    ) -> Message:  # fmt: skip
        message = Message(
            id=snowflake(self.now()), channel_id=channel.id, guild_id=channel.guild_id, author=self.bot_user,
            content=content, webhook_id=self.application_id if webhook else None,
            interaction_id=interaction.id if interaction else None, ephemeral_to=ephemeral_to,
            created_at=self.now(),
        )  # fmt: skip
        self.messages[message.id] = message
        return message

    def _apply(self, message: Message, payload: dict[str, Any], files: list[tuple[str, bytes]],
               *, replace_attachments: bool) -> None:  # fmt: skip
        if "content" in payload:
            message.content = payload["content"] or ""
        if "embeds" in payload:
            message.embeds = payload["embeds"] or []
        if "components" in payload:
            message.components = payload["components"] or []
        if "flags" in payload and payload["flags"] is not None:
            message.flags = (message.flags & 128) | (payload["flags"] & ~64) | (message.flags & 64)
        uploaded = [self._attachment(name, data) for name, data in files]
        if replace_attachments:
            keep = {int(a["id"]) for a in payload.get("attachments") or []}
            message.attachments = [a for a in message.attachments if a.id in keep] + uploaded
        else:
            message.attachments += uploaded
        allowed = payload.get("allowed_mentions", _PARSE_ALL)
        parse = set(allowed.get("parse", []))
        users = {int(u) for u in allowed.get("users", [])}
        mentioned = [int(u) for u in _MENTION.findall(message.content)]
        message.mentions = [u for u in mentioned if "users" in parse or u in users]
        message.mention_everyone = "everyone" in parse and (
            "@everyone" in message.content or "@here" in message.content
        )

    def _attachment(self, filename: str, data: bytes) -> Attachment:
        width = height = None
        content_type = "application/octet-stream"
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                content_type = Image.MIME.get(image.format or "", content_type)
        except OSError:
            pass
        return Attachment(snowflake(), filename, data, content_type, width, height)

    # ------------------------------------------------------------ websocket
    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress") == "zlib-stream"
        connection = _Connection(ws, zlib.compressobj() if compress else None)
        self._connections.append(connection)
        await connection.send({"op": 10, "d": {"heartbeat_interval": 41250}})
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            op = message["op"]
            if op == 1:
                await connection.send({"op": 11})
            elif op == 2:
                if message["d"]["token"] != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                shard = message["d"].get("shard") or [0, 1]
                connection.shard = (int(shard[0]), int(shard[1]))
                self.identify_count += 1
                self.shards_identified.append(connection.shard)
                await self._ready(connection)
            elif op == 6:
                resume = message["d"]
                if resume["token"] != self.token or resume["session_id"] not in self._sessions:
                    await connection.send({"op": 9, "d": False})  # invalid session: identify again
                    continue
                connection.shard = self._sessions[resume["session_id"]]
                connection.session_id, connection.ready = resume["session_id"], True
                self.resumes += 1
                await connection.dispatch("RESUMED", {})
                self.identified.set()
                await self._notify()
        self._connections.remove(connection)
        if not any(c.ready for c in self._connections):
            self.identified.clear()
        return ws

    async def _ready(self, connection: _Connection) -> None:
        connection.sequence = 0
        connection.session_id = secrets.token_hex(16)
        self._sessions[connection.session_id] = connection.shard
        mine = connection.owns(self.guild_id)
        await connection.dispatch("READY", {
            "v": 10, "user": self.bot_user.to_json(),
            "guilds": [{"id": str(self.guild_id), "unavailable": True}] if mine else [],
            "session_id": connection.session_id,
            "resume_gateway_url": self.base_url.replace("http", "ws") + "/gateway",
            "shard": list(connection.shard), "application": {"id": str(self.application_id), "flags": 0},
        })  # fmt: skip
        if mine:
            await connection.dispatch("GUILD_CREATE", self._guild_json())
        connection.ready = True
        self.identified.set()
        await self._notify()

    def _guild_json(self) -> dict[str, Any]:
        everyone = {"id": str(self.guild_id), "name": "@everyone", "permissions": str(0x4000 | 0x800 | 0x400 | 0x8000),
                    "position": 0, "color": 0, "hoist": False, "managed": False, "mentionable": False}  # fmt: skip
        bot_role = {
            "id": str(self.bot_role_id),
            "name": "Imagine",
            "permissions": str(self.bot_permissions),
            "position": 1,
            "color": 0,
            "hoist": False,
            "managed": True,
            "mentionable": False,
            "tags": {"bot_id": str(self.bot_user.id)},
        }
        return {
            "id": str(self.guild_id), "name": "Test Server", "icon": None, "owner_id": str(self.users["alice"].id),
            "unavailable": False, "member_count": 5, "large": False, "features": [], "premium_tier": 0,
            "roles": [everyone, bot_role, *(r.to_json() for r in self.roles.values())], "emojis": [], "stickers": [],
            "threads": [self.thread.to_json()],
            "members": [self._bot_member_json()],
            "channels": [c.to_json() for c in self.channels.values()], "presences": [], "voice_states": [],
            "joined_at": "2026-01-01T00:00:00+00:00", "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "mfa_level": 0, "system_channel_id": None, "preferred_locale": "en-US",
            "nsfw_level": 0, "premium_progress_bar_enabled": False,
        }  # fmt: skip

    def _bot_member_json(self) -> dict[str, Any]:
        return {
            "user": self.bot_user.to_json(),
            "roles": [str(self.bot_role_id)],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        }

    async def disconnect_bot(self) -> None:
        """Drop every websocket (as when the bot process dies)."""
        for connection in list(self._connections):
            await connection.ws.close()

    def _connection_for(self, guild_id: int | None) -> _Connection | None:
        """The ready connection of the shard that receives ``guild_id``'s events (direct messages: shard 0)."""
        return next((c for c in self._connections if c.ready and c.owns(guild_id)), None)

    # -------------------------------------------------------- test-facing API
    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], T | None], timeout: float = 10.0) -> T:
        """Wait until ``predicate()`` returns something truthy, and return it."""
        async with asyncio.timeout(timeout), self._changed:
            while not (value := predicate()):
                # Woken by any change here; the short poll covers predicates on other fakes.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.05)
            return value

    def _member_json(self, user: User) -> dict[str, Any]:
        perms = (1 << 41) - 1 if user.id in self.moderators else 0x4000 | 0x800 | 0x400 | 0x8000
        if user.id in self.managers:
            perms |= 0x20  # Manage Server
        roles = [str(role) for role in sorted(self.member_roles.get(user.id, ()))]
        return {"user": user.to_json(), "roles": roles, "joined_at": "2026-01-01T00:00:00+00:00", "deaf": False,
                "mute": False, "permissions": str(perms), "flags": 0}  # fmt: skip

    def give_role(self, user: str, role: str) -> None:
        """Give a member one of the server's roles (``artist``, ``booster``, ``patron``)."""
        self.member_roles.setdefault(self.users[user].id, set()).add(self.roles[role].id)

    async def _inject(self, kind: int, user: User, data: dict[str, Any], *, channel: Channel | None = None,
                      message: Message | None = None) -> Interaction:  # fmt: skip
        channel = channel or self.channel
        connection = self._connection_for(channel.guild_id)
        if connection is None:
            raise RuntimeError("the bot is not connected (for this server's shard)")
        created = self.now()
        interaction_id = snowflake(created)
        token = "itok-" + secrets.token_urlsafe(24)
        payload: dict[str, Any] = {
            "id": str(interaction_id), "application_id": str(self.application_id), "type": kind, "data": data,
            "channel_id": str(channel.id), "channel": channel.to_json(), "token": token, "version": 1,
            "app_permissions": str((1 << 41) - 1 if channel.bot_can_send else 0x400),
            "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": str(channel.guild_id or 0)},
            "context": 0 if channel.guild_id is not None else 1,
            "attachment_size_limit": self.upload_limit,
        }  # fmt: skip
        if channel.guild_id is not None:
            payload |= {"guild_id": str(channel.guild_id), "member": self._member_json(user)}
        else:  # a direct message: the user, no member, and Discord's own guild locale is absent
            payload["user"] = user.to_json()
            del payload["guild_locale"]
        if message is not None:
            payload["message"] = message.to_json(self.base_url)
        interaction = Interaction(interaction_id, token, kind, user, channel, created, payload)
        self.interactions[interaction_id] = interaction
        await connection.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def _command_data(
        self, name: str, subcommand: str | None, options: dict[str, Any], focused: str | None
    ) -> dict[str, Any]:
        command = self.registered(name)
        level = command if subcommand is None else next(o for o in command["options"] if o["name"] == subcommand)
        declared = {o["name"]: o for o in level.get("options", [])}
        values = []
        resolved: dict[str, dict[str, Any]] = {}
        for key, given in options.items():
            if key not in declared:
                raise KeyError(f"/{name} {subcommand} has no option {key!r}")
            kind, value = declared[key]["type"], given
            if kind == 8:  # a role, given by name: the option carries its id, the payload resolves it
                role = self.roles[given]
                value = str(role.id)
                resolved.setdefault("roles", {})[value] = role.to_json()
            elif kind == 7:  # a channel, given as a Channel
                value = str(given.id)
                resolved.setdefault("channels", {})[value] = given.to_json() | {"permissions": "0"}
            entry: dict[str, Any] = {"name": key, "type": kind, "value": value}
            if key == focused:
                entry["focused"] = True
            values.append(entry)
        missing = [o["name"] for o in declared.values() if o.get("required") and o["name"] not in options]
        if missing and focused is None:
            raise KeyError(f"Discord would not send /{name} {subcommand} without {missing}")
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": values}
        if subcommand is not None:
            data["options"] = [{"name": subcommand, "type": 1, "options": values}]
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(self, user: str, name: str, subcommand: str | None = None, channel: Channel | None = None,
                    *, option_values: dict[str, Any] | None = None, **options: Any) -> Interaction:  # fmt: skip
        """A member runs ``/name subcommand option:value …`` (in ``channel``).

        ``option_values`` gives options whose names clash with this method's parameters (an option named ``channel``).
        """
        data = self._command_data(name, subcommand, {**(option_values or {}), **options}, focused=None)
        return await self._inject(2, self.users[user], data, channel=channel)

    async def autocomplete(
        self, user: str, name: str, subcommand: str, focused: str, **options: Any
    ) -> list[dict[str, Any]]:
        """Type into an autocomplete option and return the choices the bot offers."""
        data = self._command_data(name, subcommand, options, focused=focused)
        interaction = await self._inject(4, self.users[user], data)
        await self.wait_for(lambda: interaction.acknowledged)
        assert interaction.response is not None
        return list(interaction.response["data"]["choices"])

    async def click(self, user: str, message: Message, custom_id: str) -> Interaction:
        """A member clicks a button on ``message``."""
        if custom_id not in message.custom_ids:
            raise KeyError(f"no component {custom_id!r} on message {message.id}")
        channel = self.channels[message.channel_id]
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._inject(3, self.users[user], data, channel=channel, message=message)

    async def submit_modal(
        self, user: str, custom_id: str, values: dict[str, str], message: Message | None = None
    ) -> Interaction:
        """A member submits a modal whose text inputs are ``values`` (custom_id → text)."""
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]} for key, value in values.items()
        ]
        channel = self.channels[message.channel_id] if message else self.channel
        data = {"custom_id": custom_id, "components": rows}
        return await self._inject(5, self.users[user], data, channel=channel, message=message)

    def original(self, interaction: Interaction) -> Message | None:
        """The interaction's original response message, if any."""
        return self.messages.get(interaction.original_id or 0)

    async def wait_original(self, interaction: Interaction, predicate: Callable[[Message], bool],
                            timeout: float = 15.0) -> Message:  # fmt: skip
        """Wait until the original response exists and satisfies ``predicate``."""

        def check() -> Message | None:
            message = self.original(interaction)
            return message if message is not None and not message.deleted and predicate(message) else None

        return await self.wait_for(check, timeout)

    def channel_messages(self, channel: Channel | None = None) -> list[Message]:
        """Messages everyone in the channel sees, oldest first."""
        channel = channel or self.channel
        return sorted((m for m in self.messages.values() if m.channel_id == channel.id and not m.deleted
                       and m.ephemeral_to is None), key=lambda m: m.id)  # fmt: skip


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json", as Discord sends it (discord.py compares the header verbatim).
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


def _openapi_template(aiohttp_template: str) -> str:
    return (aiohttp_template.removeprefix("/api/v10")
            .replace("{app}", "{application_id}").replace("{guild}", "{guild_id}"))  # fmt: skip


@dataclass(eq=False)
class _Connection:
    """One gateway websocket: its compression stream, sequence and session, and the shard it serves."""

    ws: web.WebSocketResponse
    compressor: Any
    shard: tuple[int, int] = (0, 1)
    sequence: int = 0
    session_id: str = ""
    ready: bool = False

    def owns(self, guild_id: int | None) -> bool:
        """Whether this shard receives the server's events (Discord's rule: (id >> 22) % count)."""
        shard_id, count = self.shard
        return ((guild_id or 0) >> 22) % count == shard_id

    async def send(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        if self.compressor is None:
            await self.ws.send_str(data.decode())
        else:
            await self.ws.send_bytes(self.compressor.compress(data) + self.compressor.flush(zlib.Z_SYNC_FLUSH))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self.sequence += 1
        await self.send({"op": 0, "t": event, "s": self.sequence, "d": data})
