"""Whether a member may start a job here, before any allowance is counted. Pure.

Checks, in this order (the first that fails is the refusal): direct messages, blocked channel,
allowed channels, required roles, ``max_count``, the blocklist. Threads follow their parent
channel. Members who may manage the server pass the role requirement only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .blocklist import find_blocked
from .model import Ceilings, ServerPolicy


class AccessRefusalKind(StrEnum):
    """Why a member may not start a job here."""

    DMS_DISABLED = "dms_disabled"
    CHANNEL_NOT_ALLOWED = "channel_not_allowed"
    CHANNEL_BLOCKED = "channel_blocked"
    ROLE_REQUIRED = "role_required"
    OVER_MAX_COUNT = "over_max_count"
    BLOCKED_WORD = "blocked_word"


@dataclass(frozen=True, slots=True)
class AccessRefusal:
    """A refused request and what the member should be told.

    ``channel_ids``: the allowed channels (CHANNEL_NOT_ALLOWED); ``role_ids``: the required
    roles (ROLE_REQUIRED); ``max_count``: the server's most images per job (OVER_MAX_COUNT);
    ``word``: the blocklist entry found (BLOCKED_WORD).
    """

    kind: AccessRefusalKind
    channel_ids: tuple[int, ...] = ()
    role_ids: tuple[int, ...] = ()
    max_count: int = 0
    word: str = ""


def check_access(
    policy: ServerPolicy,
    ceilings: Ceilings,
    *,
    guild_id: int | None,
    channel_id: int,
    parent_channel_id: int | None,
    member_role_ids: frozenset[int],
    is_manager: bool,
    prompt: str,
    negative_prompt: str | None,
    count: int,
) -> AccessRefusal | None:
    """Refuse a request the server's policy forbids, or return ``None``.

    ``guild_id`` ``None`` is a direct message: only :attr:`Ceilings.allow_dms` applies (no server
    policy). ``count`` is the job's number of images after defaults.
    """
    if guild_id is None:
        return None if ceilings.allow_dms else AccessRefusal(AccessRefusalKind.DMS_DISABLED)
    here = {channel_id} if parent_channel_id is None else {channel_id, parent_channel_id}
    if here & policy.blocked_channels:
        return AccessRefusal(AccessRefusalKind.CHANNEL_BLOCKED)
    if policy.allowed_channels and not here & policy.allowed_channels:
        return AccessRefusal(AccessRefusalKind.CHANNEL_NOT_ALLOWED, channel_ids=tuple(sorted(policy.allowed_channels)))
    if policy.required_roles and not is_manager and not member_role_ids & policy.required_roles:
        return AccessRefusal(AccessRefusalKind.ROLE_REQUIRED, role_ids=tuple(sorted(policy.required_roles)))
    if policy.max_count is not None and count > policy.max_count:
        return AccessRefusal(AccessRefusalKind.OVER_MAX_COUNT, max_count=policy.max_count)
    word = find_blocked((prompt, negative_prompt), policy.blocklist)
    if word is not None:
        return AccessRefusal(AccessRefusalKind.BLOCKED_WORD, word=word)
    return None
