"""The gateway websocket: HELLO, IDENTIFY, RESUME, READY and GUILD_CREATE, one connection per shard."""

from __future__ import annotations

import json
import secrets
import zlib
from typing import Any

from aiohttp import WSMsgType, web

from ._connection import _Connection
from ._spec import discord_locales
from ._state import _FakeState

# Guild fields only the gateway's GUILD_CREATE carries; GET /guilds/{id} and GUILD_UPDATE have the others.
_GATEWAY_ONLY_GUILD = frozenset(
    ("joined_at", "large", "unavailable", "member_count", "members", "channels", "threads", "presences", "voice_states")
)


class _GatewayMixin(_FakeState):
    """Serve the gateway websocket and find the connection that receives a server's events."""

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
            "explicit_content_filter": 0, "mfa_level": 0, "system_channel_id": None,
            "preferred_locale": self.guild_locale, "nsfw_level": 0, "premium_progress_bar_enabled": False,
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

    async def set_guild_locale(self, locale: str) -> None:
        """The server's language (``preferred_locale``; ``guild_locale`` of its interactions), default ``en-US``.

        A connected bot gets GUILD_UPDATE, as when an admin changes it in Server Settings.
        """
        if locale not in discord_locales():
            raise ValueError(f"Discord has no locale {locale!r}")
        self.guild_locale = locale
        connection = self._connection_for(self.guild_id)
        if connection is not None:
            guild = {key: value for key, value in self._guild_json().items() if key not in _GATEWAY_ONLY_GUILD}
            await connection.dispatch("GUILD_UPDATE", guild)
        await self._notify()

    async def disconnect_bot(self) -> None:
        """Drop every websocket (as when the bot process dies)."""
        for connection in list(self._connections):
            await connection.ws.close()

    def _connection_for(self, guild_id: int | None) -> _Connection | None:
        """The ready connection of the shard that receives ``guild_id``'s events (direct messages: shard 0)."""
        return next((c for c in self._connections if c.ready and c.owns(guild_id)), None)
