"""The fake's in-memory world: users, guilds, channels, messages, interactions."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ._layout import IS_COMPONENTS_V2, resolve_media, texts, walk

DISCORD_EPOCH_MS = 1420070400000
CDN_LINK_LIFETIME = 24 * 60 * 60  # Discord's signed attachment links expire after about a day
_counter = itertools.count(1)
_CDN_KEY = secrets.token_bytes(16)


def snowflake(at: float | None = None) -> int:
    """A Discord snowflake whose timestamp is ``at`` (default: now)."""
    millis = int((time.time() if at is None else at) * 1000)
    return ((millis - DISCORD_EPOCH_MS) << 22) | (next(_counter) & 0x3FFFFF)


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()


def cdn_signature(path: str, expires: int, issued: int) -> str:
    """The ``hm`` of a signed CDN link: only links the fake handed out open."""
    return hmac.new(_CDN_KEY, f"{path}:{expires:x}:{issued:x}".encode(), hashlib.sha256).hexdigest()


def signed_url(base_url: str, path: str, now: float) -> str:
    """``{base}{path}?ex=..&is=..&hm=..``, as Discord signs attachment links (valid for a day from ``now``)."""
    issued = int(now)
    expires = issued + CDN_LINK_LIFETIME
    signature = cdn_signature(path, expires, issued)
    return f"{base_url}{quote(path)}?ex={expires:x}&is={issued:x}&hm={signature}"


@dataclass
class User:
    id: int
    username: str
    bot: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "username": self.username, "discriminator": "0", "global_name": self.username,
                "avatar": None, "bot": self.bot, "public_flags": 0}  # fmt: skip


@dataclass
class Channel:
    id: int
    guild_id: int | None  # None: a direct-message channel
    name: str
    bot_can_send: bool = True
    parent_id: int | None = None  # set for a thread

    def to_json(self) -> dict[str, Any]:
        if self.guild_id is None:
            return {"id": str(self.id), "type": 1, "last_message_id": None, "recipients": [], "flags": 0}
        kind = 11 if self.parent_id is not None else 0  # public thread, or text channel
        out = {"id": str(self.id), "type": kind, "guild_id": str(self.guild_id), "name": self.name, "position": 0,
               "permission_overwrites": [], "nsfw": False, "topic": None,
               "parent_id": str(self.parent_id) if self.parent_id is not None else None,
               "last_message_id": None, "rate_limit_per_user": 0}  # fmt: skip
        if self.parent_id is not None:
            out |= {"owner_id": str(self.parent_id), "message_count": 0, "member_count": 1, "total_message_sent": 0,
                    "flags": 0, "applied_tags": [],
                    "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                        "archive_timestamp": "2026-01-01T00:00:00+00:00", "locked": False}}  # fmt: skip
        return out


@dataclass(frozen=True)
class Role:
    id: int
    name: str
    position: int = 1

    def to_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "name": self.name, "permissions": "0", "position": self.position, "color": 0,
                "hoist": False, "managed": False, "mentionable": False, "flags": 0}  # fmt: skip


@dataclass
class Attachment:
    id: int
    filename: str
    data: bytes
    content_type: str
    width: int | None
    height: int | None
    channel_id: int = 0
    ephemeral: bool = False  # a slash command's attachment option: served under /ephemeral-attachments

    @property
    def path(self) -> str:
        folder = "ephemeral-attachments" if self.ephemeral else "attachments"
        return f"/{folder}/{self.channel_id}/{self.id}/{self.filename}"

    def to_json(self, base_url: str, now: float | None = None) -> dict[str, Any]:
        url = signed_url(base_url, self.path, time.time() if now is None else now)
        out: dict[str, Any] = {"id": str(self.id), "filename": self.filename, "size": len(self.data),
                               "url": url, "proxy_url": url, "content_type": self.content_type}  # fmt: skip
        if self.width is not None:
            out |= {"width": self.width, "height": self.height}
        if self.ephemeral:
            out["ephemeral"] = True
        return out


@dataclass
class Message:
    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    webhook_id: int | None = None
    interaction_id: int | None = None
    reference_id: int | None = None
    ephemeral_to: int | None = None  # user id that alone sees it
    mentions: list[int] = field(default_factory=list)  # users that were actually pinged
    mention_everyone: bool = False
    created_at: float = field(default_factory=time.time)
    edited_at: float | None = None
    deleted: bool = False
    revisions: int = 0
    nonce: str | None = None

    @property
    def loading(self) -> bool:
        return bool(self.flags & 128)

    @property
    def custom_ids(self) -> list[str]:
        """Custom ids of the message's interactive components, in order, however deeply nested (Components V2)."""
        return [
            c["custom_id"] for c in walk(self.components) if "custom_id" in c and c.get("type") in (2, 3, 5, 6, 7, 8)
        ]

    @property
    def is_v2(self) -> bool:
        return bool(self.flags & IS_COMPONENTS_V2)

    @property
    def text(self) -> str:
        """What a member reads: the content, or a Components V2 message's text displays joined by newlines."""
        return "\n".join(texts(self.components)) if self.is_v2 else self.content

    def to_json(self, base_url: str, now: float | None = None) -> dict[str, Any]:
        now = time.time() if now is None else now
        attachments = [a.to_json(base_url, now) for a in self.attachments]
        by_name: dict[str, dict[str, Any]] = {}
        for attachment in attachments:
            by_name.setdefault(attachment["filename"], attachment)
        out: dict[str, Any] = {
            "id": str(self.id), "channel_id": str(self.channel_id), "author": self.author.to_json(),
            "content": self.content, "timestamp": iso(self.created_at),
            "edited_timestamp": iso(self.edited_at) if self.edited_at else None, "tts": False,
            "mention_everyone": self.mention_everyone, "mentions": [], "mention_roles": [],
            "attachments": attachments,
            "embeds": self.embeds, "components": resolve_media(self.components, by_name), "pinned": False,
            "type": self.type, "flags": self.flags,
        }  # fmt: skip
        if self.guild_id is not None:
            out["guild_id"] = str(self.guild_id)
        if self.webhook_id is not None:
            out["webhook_id"] = str(self.webhook_id)
            out["application_id"] = str(self.webhook_id)
        if self.reference_id is not None:
            out["message_reference"] = {
                "message_id": str(self.reference_id),
                "channel_id": str(self.channel_id),
            }
        return out


@dataclass
class Interaction:
    id: int
    token: str
    type: int
    user: User
    channel: Channel
    created_at: float  # on the fake's (controllable) clock
    payload: dict[str, Any]
    acked_at: float | None = None
    ack_type: int | None = None
    ack_latency: float | None = None  # real seconds from dispatch to acknowledgement
    original_id: int | None = None
    response: dict[str, Any] | None = None  # the callback body, for autocomplete/modal
    dispatched_monotonic: float = field(default_factory=time.monotonic)

    @property
    def acknowledged(self) -> bool:
        return self.acked_at is not None
