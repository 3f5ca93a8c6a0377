"""Images per member and per server per UTC day: reservations at admission, settled when jobs end.

A job reserves its ``n`` images inside its admission's transaction, under the server's and the
member's locks, so no burst of clicks in any number of processes can overspend an allowance. When
the job ends, its reservation becomes the images actually delivered (none for a failure or a
cancel), in the same transaction that records the ending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.policy.allowance import AllowanceRefusal, check_reservation
from bot.policy.allowance import settle as settle_reservation

from .database import Database, Params, Row, Session

DM = 0  # the "server" of direct messages


@dataclass(frozen=True, slots=True)
class Budget:
    """Today's allowances for one admission (``None``: unlimited)."""

    day: str  # UTC date, YYYY-MM-DD
    member_limit: int | None
    server_limit: int | None


class AllowanceExceeded(Exception):
    """The job's images would go past an allowance; ``refusal`` says which, and the figures."""

    def __init__(self, refusal: AllowanceRefusal) -> None:
        super().__init__(f"{refusal.kind} allowance: {refusal.used} of {refusal.limit} used")
        self.refusal = refusal


@dataclass(frozen=True, slots=True)
class DayUsage:
    """What one member and their server used today (reserved: jobs still running)."""

    member_used: int
    member_reserved: int
    server_used: int
    server_reserved: int
    top: tuple[tuple[int, int], ...]  # (user id, images) of the server's biggest users today


# Today's images of a server and of one of its members; parameters: user id, day, server.
USED_TODAY = (
    "COALESCE(SUM(used + reserved), 0) AS server,"
    " COALESCE(SUM(CASE WHEN user_id = ? THEN used + reserved ELSE 0 END), 0) AS member"
    " FROM usage WHERE day = ? AND guild_id = ?"
)


def check_allowances(row: Row | None, budget: Budget, guild_id: int | None, images: int, *, now: float) -> None:
    """Raise :class:`AllowanceExceeded` if ``images`` more would pass an allowance (``row``: :data:`USED_TODAY`)."""
    member_used = int(row["member"]) if row is not None else 0
    server_used = int(row["server"]) if row is not None else 0
    refusal = check_reservation(
        images,
        member_used=member_used,
        member_limit=budget.member_limit,
        server_used=server_used,
        server_limit=budget.server_limit,
        now=now,
        dm=guild_id is None,
    )
    if refusal is not None:
        raise AllowanceExceeded(refusal)


def reservation(budget: Budget, guild_id: int | None, user_id: int, images: int) -> tuple[str, Params]:
    """The statement that reserves ``images`` (once :func:`check_allowances` passed)."""
    return (
        "INSERT INTO usage (day, guild_id, user_id, used, reserved) VALUES (?, ?, ?, 0, ?)"
        " ON CONFLICT (day, guild_id, user_id) DO UPDATE SET reserved = usage.reserved + excluded.reserved",
        (budget.day, guild_id or DM, user_id, images),
    )


async def settle(tx: Session, ended: Sequence[tuple[Row, int]]) -> None:
    """Turn ended jobs' reservations into the images each delivered: ``(job row, delivered)`` pairs.

    One statement per member and day, in one order (day, server, member), like every change of usage.
    """
    totals: dict[tuple[str, int, int], tuple[int, int]] = {}
    for row, delivered in ended:
        if not row["reserved"] or row["usage_day"] is None:
            continue
        settled = settle_reservation(row["reserved"], delivered)
        key = (row["usage_day"], row["guild_id"] or DM, row["user_id"])
        release, used = totals.get(key, (0, 0))
        totals[key] = (release + settled.release, used + settled.used)
    change = "UPDATE usage SET reserved = reserved - ?, used = used + ? WHERE day = ? AND guild_id = ? AND user_id = ?"
    await tx.execute_each([(change, (release, used, *key)) for key, (release, used) in sorted(totals.items())])


class UsageStore:
    """Reading today's usage, for ``/usage``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def today(self, day: str, guild_id: int | None, user_id: int, *, top: int = 10) -> DayUsage:
        """The member's and the server's images on ``day``, and the server's top members."""
        rows = await self._db.fetchall(
            "SELECT user_id, used, reserved FROM usage WHERE day = ? AND guild_id = ? ORDER BY used DESC, user_id",
            (day, guild_id or DM),
        )
        mine = next((r for r in rows if r["user_id"] == user_id), None)
        return DayUsage(
            member_used=int(mine["used"]) if mine else 0,
            member_reserved=int(mine["reserved"]) if mine else 0,
            server_used=sum(int(r["used"]) for r in rows),
            server_reserved=sum(int(r["reserved"]) for r in rows),
            top=tuple((int(r["user_id"]), int(r["used"])) for r in rows[:top] if r["used"]),
        )
