"""Daily image allowances: who may have how many, the UTC day, and reservations. Pure arithmetic.

An allowance is counted in images per UTC day. At admission a job's images are reserved (the
stored count of a day includes open reservations, so two jobs cannot both take the last images);
when the job ends, :func:`settle` turns the reservation into what was actually delivered.
``None`` means unlimited everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple

from .model import Ceilings, ServerPolicy

DAY_SECONDS = 86_400  # Unix time has no leap seconds: every UTC day is exactly this long


class AllowanceKind(StrEnum):
    """Which daily allowance a job would exceed."""

    MEMBER = "member"
    SERVER = "server"
    DM = "dm"


@dataclass(frozen=True, slots=True)
class AllowanceRefusal:
    """A job over an allowance: which, how many images are used (including reserved), and when it resets."""

    kind: AllowanceKind
    used: int
    limit: int
    resets_at: int  # Unix time of the next UTC midnight


class Settlement(NamedTuple):
    """How a job's reservation ends: release all of it, count what was delivered."""

    release: int  # taken off the reserved count
    used: int  # added to the used count


def member_allowance(
    policy: ServerPolicy, ceilings: Ceilings, member_role_ids: frozenset[int], *, dm: bool
) -> int | None:
    """A member's images per day: the highest of their roles' overrides, else ``member_daily``; capped by ``.env``.

    In a direct message only ``DM_DAILY_IMAGES`` applies (pass an empty policy).
    """
    if dm:
        return ceilings.dm_daily
    overrides = [policy.role_limits[role] for role in member_role_ids if role in policy.role_limits]
    own = _highest(overrides) if overrides else policy.member_daily
    return _lowest(own, ceilings.member_daily)


def server_allowance(policy: ServerPolicy, ceilings: Ceilings) -> int | None:
    """A server's images per day: its own setting, capped by ``DEFAULT_SERVER_DAILY_IMAGES``."""
    return _lowest(policy.server_daily, ceilings.server_daily)


def remaining(used: int, limit: int | None) -> int | None:
    """Images left today (never negative), or ``None`` if unlimited."""
    return None if limit is None else max(0, limit - used)


def usage_day(now: float) -> str:
    """The UTC day that ``now`` (Unix time) counts against, as ``YYYY-MM-DD``."""
    return datetime.fromtimestamp(now, UTC).date().isoformat()


def resets_at(now: float) -> int:
    """Unix time of the next UTC midnight after ``now`` (at midnight exactly: the one a day later)."""
    return (int(now // DAY_SECONDS) + 1) * DAY_SECONDS


def check_reservation(
    n: int,
    *,
    member_used: int,
    member_limit: int | None,
    server_used: int,
    server_limit: int | None,
    now: float,
    dm: bool = False,
) -> AllowanceRefusal | None:
    """Refuse reserving ``n`` images if it would take the member or the server past its allowance.

    ``*_used`` include today's open reservations. The member's allowance is checked first (it
    is the one a member can do something about: wait); in a DM it is reported as ``DM``.
    """
    if n < 1:
        raise ValueError(f"a job reserves at least one image, got {n}")
    if member_limit is not None and member_used + n > member_limit:
        kind = AllowanceKind.DM if dm else AllowanceKind.MEMBER
        return AllowanceRefusal(kind, used=member_used, limit=member_limit, resets_at=resets_at(now))
    if server_limit is not None and server_used + n > server_limit:
        return AllowanceRefusal(AllowanceKind.SERVER, used=server_used, limit=server_limit, resets_at=resets_at(now))
    return None


def settle(reserved: int, delivered: int) -> Settlement:
    """End a reservation: release all ``reserved``, count the images ``delivered``.

    Failure or cancellation delivers 0 (nothing counts); image-set mode returning 9 of 12 counts
    9. More than reserved is counted as ``reserved``: the member was admitted for that many.
    """
    if reserved < 0 or delivered < 0:
        raise ValueError(f"counts cannot be negative (reserved {reserved}, delivered {delivered})")
    return Settlement(release=reserved, used=min(delivered, reserved))


def _highest(limits: list[int | None]) -> int | None:
    return None if None in limits else max(limit for limit in limits if limit is not None)


def _lowest(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else min(a, b)
