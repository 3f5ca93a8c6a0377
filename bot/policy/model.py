"""A server's policy as data: limits, channels, roles, defaults and the blocklist. Pure, no I/O.

Every change returns a new :class:`ServerPolicy`; the ``with_*`` methods take values as the
``/settings`` commands receive them (``None`` = "not given", ``0`` = unlimited, ``-1`` = remove),
so a command passes its options straight through. Stored as JSON via :meth:`ServerPolicy.to_dict`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .blocklist import normalize_entry

POLICY_VERSION = 1
REMOVE_ROLE_LIMIT = -1  # what `/settings role-limit` takes to remove a role's override


class ChannelMode(StrEnum):
    """What `/settings channel` does to one channel."""

    ALLOW = "allow"
    BLOCK = "block"
    CLEAR = "clear"


AUTO_LANGUAGE = "auto"  # public messages follow the server's Discord locale


@dataclass(frozen=True, slots=True)
class ModelDefaults:
    """One level's defaults for one model; ``None`` = not set at this level."""

    size: str | None = None
    count: int | None = None
    prompt_extend: bool | None = None
    thinking_mode: bool | None = None
    sequential: bool | None = None
    watermark: bool | None = None

    def is_empty(self) -> bool:
        """Whether no field is set."""
        return all(getattr(self, f.name) is None for f in fields(self))

    def overlay(self, other: ModelDefaults) -> ModelDefaults:
        """These defaults with every field ``other`` sets replaced (for a merging update)."""
        return replace(self, **other.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """Encode the fields that are set."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelDefaults:
        """Decode; a missing or mistyped field is "not set"."""
        count = data.get("count")
        return cls(
            size=_str_or_none(data.get("size")),
            count=count if isinstance(count, int) and not isinstance(count, bool) else None,
            prompt_extend=_bool_or_none(data.get("prompt_extend")),
            thinking_mode=_bool_or_none(data.get("thinking_mode")),
            sequential=_bool_or_none(data.get("sequential")),
            watermark=_bool_or_none(data.get("watermark")),
        )


@dataclass(frozen=True, slots=True)
class Ceilings:
    """Bot-wide limits from ``.env``; server settings may lower them, never raise them. ``None`` = unlimited."""

    member_daily: int | None = None  # DEFAULT_MEMBER_DAILY_IMAGES
    server_daily: int | None = None  # DEFAULT_SERVER_DAILY_IMAGES
    dm_daily: int | None = None  # DM_DAILY_IMAGES
    allow_dms: bool = False  # ALLOW_DMS


ModelKey = str  # a catalogue key: "qwen" or "wan"


@dataclass(frozen=True, slots=True)
class ServerPolicy:
    """Everything `/settings` controls for one server. Limits: ``None`` = unlimited; role limits too."""

    member_daily: int | None = None
    server_daily: int | None = None
    max_count: int | None = None
    role_limits: Mapping[int, int | None] = field(default_factory=dict)
    allowed_channels: frozenset[int] = frozenset()
    blocked_channels: frozenset[int] = frozenset()
    required_roles: frozenset[int] = frozenset()
    defaults: Mapping[ModelKey, ModelDefaults] = field(default_factory=dict)
    channel_defaults: Mapping[int, Mapping[ModelKey, ModelDefaults]] = field(default_factory=dict)
    blocklist: tuple[str, ...] = ()
    language: str = AUTO_LANGUAGE  # or a locale with a catalogue, e.g. "zh-CN"

    def __post_init__(self) -> None:
        # Read-only copies, so a policy cannot change behind the back of whoever holds it.
        freeze = object.__setattr__
        freeze(self, "role_limits", MappingProxyType(dict(self.role_limits)))
        freeze(self, "allowed_channels", frozenset(self.allowed_channels))
        freeze(self, "blocked_channels", frozenset(self.blocked_channels))
        freeze(self, "required_roles", frozenset(self.required_roles))
        freeze(self, "defaults", MappingProxyType(dict(self.defaults)))
        channel = {cid: MappingProxyType(dict(per_model)) for cid, per_model in self.channel_defaults.items()}
        freeze(self, "channel_defaults", MappingProxyType(channel))
        freeze(self, "blocklist", tuple(self.blocklist))

    # -- changes, as the commands give them -------------------------------------------------

    def with_limits(
        self, *, member_daily: int | None = None, server_daily: int | None = None, max_count: int | None = None
    ) -> ServerPolicy:
        """Set the limits that are given (``None`` keeps one, ``0`` makes it unlimited)."""
        return replace(
            self,
            member_daily=self.member_daily if member_daily is None else limit_from_command(member_daily),
            server_daily=self.server_daily if server_daily is None else limit_from_command(server_daily),
            max_count=self.max_count if max_count is None else limit_from_command(max_count),
        )

    def with_role_limit(self, role_id: int, member_daily: int) -> ServerPolicy:
        """Give a role its own daily allowance (``0`` unlimited) or remove it (``-1``)."""
        limits = dict(self.role_limits)
        if member_daily == REMOVE_ROLE_LIMIT:
            limits.pop(role_id, None)
        else:
            limits[role_id] = limit_from_command(member_daily)
        return replace(self, role_limits=limits)

    def with_channel(self, channel_id: int, mode: ChannelMode) -> ServerPolicy:
        """Allow, block or clear one channel (a channel is never both allowed and blocked)."""
        allowed = self.allowed_channels - {channel_id}
        blocked = self.blocked_channels - {channel_id}
        if mode is ChannelMode.ALLOW:
            allowed |= {channel_id}
        elif mode is ChannelMode.BLOCK:
            blocked |= {channel_id}
        return replace(self, allowed_channels=allowed, blocked_channels=blocked)

    def with_required_role(self, role_id: int, required: bool) -> ServerPolicy:
        """Require a role (``True``) or stop requiring it (``False``)."""
        roles = self.required_roles | {role_id} if required else self.required_roles - {role_id}
        return replace(self, required_roles=roles)

    def with_defaults(self, model: ModelKey, defaults: ModelDefaults, channel_id: int | None = None) -> ServerPolicy:
        """Replace the server's (or one channel's) defaults for a model; empty defaults clear them."""
        if channel_id is None:
            return replace(self, defaults=_set_or_drop(self.defaults, model, defaults))
        per_model = _set_or_drop(self.channel_defaults.get(channel_id, {}), model, defaults)
        channels: dict[int, Mapping[ModelKey, ModelDefaults]] = dict(self.channel_defaults)
        if per_model:
            channels[channel_id] = per_model
        else:
            channels.pop(channel_id, None)
        return replace(self, channel_defaults=channels)

    def with_blocklist(self, *, add: Iterable[str] = (), remove: Iterable[str] = ()) -> ServerPolicy:
        """Add and remove entries (normalized: case-folded, spaces collapsed); order of first addition is kept."""
        removed = {normalize_entry(entry) for entry in remove}
        entries = [entry for entry in self.blocklist if entry not in removed]
        for entry in map(normalize_entry, add):
            if entry and entry not in entries and entry not in removed:
                entries.append(entry)
        return replace(self, blocklist=tuple(entries))

    def with_language(self, language: str) -> ServerPolicy:
        """Set the language of the server's public messages (``"auto"``: the server's Discord locale)."""
        return replace(self, language=language)

    # -- reading ----------------------------------------------------------------------------

    def server_defaults(self, model: ModelKey) -> ModelDefaults | None:
        """The server-wide defaults for a model, if any."""
        return self.defaults.get(model)

    def channel_defaults_for(
        self, model: ModelKey, channel_id: int, parent_channel_id: int | None = None
    ) -> ModelDefaults | None:
        """A channel's defaults for a model; a thread without its own follows its parent."""
        for cid in (channel_id, parent_channel_id):
            if cid is not None and (found := self.channel_defaults.get(cid, {}).get(model)) is not None:
                return found
        return None

    # -- JSON -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Encode as JSON-ready data (ids as strings where JSON needs string keys)."""
        return {
            "version": POLICY_VERSION,
            "member_daily": self.member_daily,
            "server_daily": self.server_daily,
            "max_count": self.max_count,
            "role_limits": {str(role): limit for role, limit in sorted(self.role_limits.items())},
            "allowed_channels": sorted(self.allowed_channels),
            "blocked_channels": sorted(self.blocked_channels),
            "required_roles": sorted(self.required_roles),
            "defaults": {model: d.to_dict() for model, d in sorted(self.defaults.items())},
            "channel_defaults": {
                str(cid): {model: d.to_dict() for model, d in sorted(per_model.items())}
                for cid, per_model in sorted(self.channel_defaults.items())
            },
            "blocklist": list(self.blocklist),
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ServerPolicy:
        """Decode; keys missing (older versions) or unknown (newer ones) are tolerated."""
        return cls(
            member_daily=_limit_or_none(data.get("member_daily")),
            server_daily=_limit_or_none(data.get("server_daily")),
            max_count=_limit_or_none(data.get("max_count")),
            role_limits={int(role): _limit_or_none(limit) for role, limit in (data.get("role_limits") or {}).items()},
            allowed_channels=frozenset(int(c) for c in data.get("allowed_channels") or ()),
            blocked_channels=frozenset(int(c) for c in data.get("blocked_channels") or ()),
            required_roles=frozenset(int(r) for r in data.get("required_roles") or ()),
            defaults=_defaults_from(data.get("defaults") or {}),
            channel_defaults={
                int(cid): _defaults_from(per_model) for cid, per_model in (data.get("channel_defaults") or {}).items()
            },
            blocklist=tuple(e for e in map(normalize_entry, data.get("blocklist") or ()) if e),
            language=_str_or_none(data.get("language")) or AUTO_LANGUAGE,
        )


def limit_from_command(value: int) -> int | None:
    """Turn a limit as typed (``0`` = unlimited) into the stored form (``None`` = unlimited)."""
    if value < 0:
        raise ValueError(f"a limit must be 0 (unlimited) or more, got {value}")
    return None if value == 0 else value


def _set_or_drop(
    current: Mapping[ModelKey, ModelDefaults], model: ModelKey, defaults: ModelDefaults
) -> dict[ModelKey, ModelDefaults]:
    out = dict(current)
    if defaults.is_empty():
        out.pop(model, None)
    else:
        out[model] = defaults
    return out


def _defaults_from(data: Mapping[str, Any]) -> dict[ModelKey, ModelDefaults]:
    return {model: ModelDefaults.from_dict(d) for model, d in data.items() if isinstance(d, Mapping)}


def _limit_or_none(value: object) -> int | None:
    # 0 or less was never stored by the commands; read it as unlimited rather than "nothing allowed".
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _bool_or_none(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
