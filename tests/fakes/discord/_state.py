"""What the local Discord holds, its clock, and the change notification every part of it shares."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from tests.fakes.held import Held
from tests.paths import DISCORD_OPENAPI

from . import _errors as E
from ._connection import _Connection
from ._limits import error_from
from ._model import Attachment, Channel, Interaction, Message, Role, User, snowflake
from ._spec import load_validator

T = TypeVar("T")
ACK_DEADLINE = 3.0
TOKEN_LIFETIME = 15 * 60
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
NONCE_WINDOW = 5 * 60  # seconds Discord remembers an enforced nonce (a few minutes, per its docs)


class _FakeState:
    """The fake's state, shared by the concerns ``FakeDiscord`` is made of (gateway, REST messages, test API)."""

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
        self.uploads: dict[int, Attachment] = {}  # every file the CDN serves, by attachment id
        self.locales: dict[int, str] = {}  # user id -> client locale (en-US unless a test sets one)
        self.guild_locale = "en-US"  # the server's preferred locale (Community servers choose one)
        self.interactions: dict[int, Interaction] = {}
        self.interactions_by_token: dict[str, Interaction] = {}
        self.errors: list[tuple[str, int, int]] = []  # (route, status, code) of every refusal
        self.identified = asyncio.Event()
        self.identify_count = 0
        self.resumes = 0
        self.gateway_bot_url: str | None = None  # what /gateway/bot answers instead of this websocket
        self.uploads_held = Held()  # requests that upload files (after their body is read), held if a test says so
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

    # ------------------------------------------------------ request checks
    def _bot_auth(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise error_from(E.UNAUTHORIZED)

    def _channel(self, request: web.Request) -> Channel:
        channel = self.channels.get(int(request.match_info["channel"]))
        if channel is None:
            raise error_from(E.UNKNOWN_CHANNEL)
        return channel

    # -------------------------------------------------- change notification
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


def json_response(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json", as Discord sends it (discord.py compares the header verbatim).
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})
