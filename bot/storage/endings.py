"""Recording how jobs end: one transaction records every ending that arrived while the last one ran.

Each job that finishes (delivered, failed, cancelled) changes its row and settles the images it
had reserved against today's allowances. At a steady stream of jobs, each ending was a
transaction of its own: on PostgreSQL two round trips and a commit. Endings go through a
:class:`~bot.storage.group_commit.GroupCommit` instead: the first runs at once, alone, as before;
those that arrive while it runs share the next transaction. Each is still guarded on its own (its
job must still be open, and the caller's), so it ends exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

from .database import Database, Row
from .records import Status
from .usage import settle

ENDINGS = "endings"  # the one group-commit key: endings of any job may share a transaction


@dataclass(frozen=True, slots=True)
class Ending:
    """A job's final columns, if it is still in a ``before`` state (and ``owner``'s, unless ``None``)."""

    job_id: str
    columns: dict[str, object]
    before: tuple[Status, ...]
    owner: str | None
    delivered: int  # images to count as used today (the rest of its reservation is released)


async def end_together(database: Database, endings: list[Ending]) -> list[bool | Exception]:
    """Record ``endings`` in one transaction; each result says whether that job ended now.

    The jobs change in the order of their ids, then the usage they settle (see :class:`Database`).
    """
    ended: dict[int, Row] = {}
    async with database.transaction() as tx:
        for index in sorted(range(len(endings)), key=lambda i: endings[i].job_id):
            ending = endings[index]
            # The reservation stays on the job as a record; the status guard settles it exactly once.
            columns = {**ending.columns, "interaction_token": None}
            assignments = ", ".join(f"{name} = ?" for name in columns)
            states = ", ".join("?" for _ in ending.before)
            guard = " AND lease_owner = ?" if ending.owner is not None else ""
            row = await tx.fetchone(
                f"UPDATE jobs SET {assignments} WHERE id = ? AND status IN ({states}){guard}"
                " RETURNING guild_id, user_id, usage_day, reserved",
                (
                    *columns.values(),
                    ending.job_id,
                    *ending.before,
                    *((ending.owner,) if ending.owner is not None else ()),
                ),
            )
            if row is not None:
                ended[index] = row
        await settle(tx, [(row, endings[index].delivered) for index, row in ended.items()])
    if ended:
        await database.notify()  # a slot is free
    return [index in ended for index in range(len(endings))]


async def ending_stands(_ended: bool) -> None:
    """A caller that left after its ending was recorded: the ending is true all the same."""
