"""The job store: admission, claims with leases, and every state change of a job.

The database is the queue. A job is ``queued`` until a process claims it; a claim is one
transaction under the claims lock that sees every running job of every process, so the limits hold across
all of them; a running job carries a lease (owner, expiry) that its process renews, and a job
whose lease ran out is claimed again by another. Every finishing write names the lease owner,
so a process that lost its lease cannot overwrite the job's ending.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from .admissions import Admission, admit_together
from .database import CLAIMS, Database, Params, Session
from .endings import ENDINGS, Ending, end_together, ending_stands
from .group_commit import GroupCommit
from .records import Job, NewJob, QueueEntry, QueueState, Status, job_from_row
from .usage import Budget

_OPEN = (Status.QUEUED, Status.RUNNING)

# A job becomes claimable once its interaction is acknowledged (its status message exists). One
# whose process died before that is claimed anyway after this long, and posts its result anew.
ACKNOWLEDGE_GRACE = 60.0
CLAIM_BATCH = 8  # the most jobs of one member a claim takes in one transaction

Pick = Callable[[QueueState], str | None]  # the fairness rule: which waiting job starts next


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """A job's interaction was answered: its status message, and when."""

    job_id: str
    status_message_id: int | None
    at: float


def _acknowledgements(done: Sequence[Acknowledgement]) -> list[tuple[str, Params]]:
    """The statements recording ``done``, in the order of the jobs' ids (like every change of several jobs)."""
    return [
        (
            "UPDATE jobs SET status_message_id = ?, acknowledged_at = ? WHERE id = ?",
            (a.status_message_id, a.at, a.job_id),
        )
        for a in sorted(done, key=attrgetter("job_id"))
    ]


class JobStore:
    """Jobs in the database (either backend)."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._admissions = GroupCommit[Admission, Job](
            functools.partial(admit_together, database), orphaned=self._cancel_orphan
        )
        self._endings = GroupCommit[Ending, bool](functools.partial(end_together, database), orphaned=ending_stands)

    # ------------------------------------------------------------------ admission
    async def admit(self, new: NewJob, *, pending_limit: int, now: float, budget: Budget | None = None) -> Job:
        """Store a new queued job, unless its user already has ``pending_limit`` open jobs.

        With a ``budget``, its images are reserved against today's allowances in the same step
        (see :mod:`bot.storage.admissions`). Raises :class:`PendingLimitReached` or
        :class:`~bot.storage.usage.AllowanceExceeded`.
        """
        admission = Admission(new, pending_limit, now, budget)
        return await self._admissions.submit(admission.key, admission)

    async def _cancel_orphan(self, job: Job) -> None:
        """A job admitted for a caller that was gone by then: nobody will acknowledge it."""
        await self.cancel(job.id, now=job.created_at)

    async def first_click(self, message_id: int, user_id: int, action: str, *, window: float, now: float) -> bool:
        """Record a button press; False if the same user pressed the same button within ``window`` s."""
        changed = await self._db.execute(
            "INSERT INTO clicks (message_id, user_id, action, clicked_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (message_id, user_id, action) DO UPDATE SET clicked_at = excluded.clicked_at"
            " WHERE clicks.clicked_at <= ?",
            (message_id, user_id, action, now, now - window),
        )
        return changed > 0

    # ------------------------------------------------------------------ claims and leases
    async def claim(self, owner: str, *, pick: Pick, lease: float, now: float) -> Job | None:
        """Take the next job the fairness rule allows, with a lease until ``now + lease``.

        A running job whose lease expired counts as waiting: its process died, and it runs again.
        """
        claimed = await self.claim_many(owner, pick=pick, lease=lease, now=now, room=1)
        return claimed[0] if claimed else None

    async def claim_many(
        self,
        owner: str,
        *,
        pick: Pick,
        lease: float,
        now: float,
        room: int,
        acknowledged: Sequence[Acknowledgement] = (),
    ) -> list[Job]:
        """Take up to ``room`` jobs, one after another as the fairness rule picks them, in one transaction.

        The rule sees each pick as started (the member's turn taken, the job running) before the
        next, exactly as if each had been claimed alone; the queue is read once for all of them.
        ``acknowledged``: jobs just acknowledged, recorded first in the same transaction (see
        :meth:`acknowledged`), so a job that starts at once costs one commit for both.
        """
        picked: list[QueueEntry] = []
        async with self._db.transaction(locks=[CLAIMS]) as tx:
            if acknowledged:
                await tx.execute_each(_acknowledgements(acknowledged))
            state = await self._claim_state(tx, now, per_member=min(room, CLAIM_BATCH))
            while len(picked) < room and (job_id := pick(state)) is not None:
                entry = next(e for e in state.waiting if e.job_id == job_id)
                picked.append(entry)
                state = QueueState(
                    tuple(e for e in state.waiting if e.job_id != job_id),
                    (*state.running, entry),
                    {**state.turns, entry.user_id: now},
                )
            if not picked:
                return []
            # Every pick is made on the state read above: all of them start in one statement, each
            # only if still waiting (a job cancelled since the read stays cancelled).
            marks = ", ".join("?" for _ in picked)
            rows = await tx.fetchall(
                "UPDATE jobs SET status = ?, lease_owner = ?, lease_expires_at = ?, started_at = ?,"
                " attempts = attempts + 1 WHERE id IN (SELECT id FROM jobs WHERE id IN"
                f" ({marks}) AND (status = ? OR (status = ? AND lease_expires_at <= ?))"
                f" ORDER BY id{self._db.for_update}) RETURNING *",
                (
                    Status.RUNNING,
                    owner,
                    now + lease,
                    now,
                    *(e.job_id for e in picked),
                    Status.QUEUED,
                    Status.RUNNING,
                    now,
                ),
            )
            await tx.execute_each(
                [
                    (
                        "INSERT INTO user_turns (user_id, served_at) VALUES (?, ?)"
                        " ON CONFLICT (user_id) DO UPDATE SET served_at = excluded.served_at",
                        (user_id, now),
                    )
                    for user_id in dict.fromkeys(entry.user_id for entry in picked)
                ]
            )
        started = {row["id"]: job_from_row(row) for row in rows}
        return [started[entry.job_id] for entry in picked if entry.job_id in started]  # in the order picked

    async def queue_state(self, now: float) -> QueueState:
        """Every open job right now, for positions and ``/queue``."""
        return await self._queue_state(self._db, now)

    @staticmethod
    async def _queue_state(session: Session, now: float) -> QueueState:
        rows = await session.fetchall(
            "SELECT id, user_id, guild_id, created_at, status, lease_expires_at FROM jobs"
            " WHERE status IN (?, ?) AND (acknowledged_at IS NOT NULL OR created_at <= ?) ORDER BY created_at, id",
            (*_OPEN, now - ACKNOWLEDGE_GRACE),
        )
        waiting: list[QueueEntry] = []
        running: list[QueueEntry] = []
        for row in rows:
            entry = QueueEntry(row["id"], row["user_id"], row["guild_id"], row["created_at"])
            live = row["status"] == Status.RUNNING and (row["lease_expires_at"] or 0) > now
            (running if live else waiting).append(entry)
        turns = await session.fetchall(
            "SELECT user_id, served_at FROM user_turns WHERE user_id IN"
            " (SELECT user_id FROM jobs WHERE status IN (?, ?))",
            _OPEN,
        )
        return QueueState(tuple(waiting), tuple(running), {r["user_id"]: r["served_at"] for r in turns})

    @staticmethod
    async def _claim_state(session: Session, now: float, *, per_member: int = 1) -> QueueState:
        """What the fairness rule needs to pick: each waiting member's oldest jobs, and the running jobs.

        The database finds each member's ``per_member`` oldest (a window over the waiting jobs), so
        a claim reads a few rows per waiting member rather than every waiting job. The rule only
        counts running jobs (in all, per member, per server), so they come counted per member and
        server, as one anonymous entry repeated: a claim reads a row per running member, not per job.
        """
        rows = await session.fetchall(
            "WITH waiting AS (SELECT id, user_id, guild_id, created_at,"
            " ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY created_at, id) AS place FROM jobs"
            " WHERE (status = ? AND (acknowledged_at IS NOT NULL OR created_at <= ?))"
            " OR (status = ? AND lease_expires_at <= ?))"
            " SELECT 1 AS head, w.id, w.user_id, w.guild_id, w.created_at, t.served_at, 1 AS n FROM waiting w"
            " LEFT JOIN user_turns t ON t.user_id = w.user_id WHERE w.place <= ?"
            " UNION ALL SELECT 0, '', user_id, guild_id, 0, NULL, COUNT(*) FROM jobs"
            " WHERE status = ? AND lease_expires_at > ? GROUP BY user_id, guild_id",
            (Status.QUEUED, now - ACKNOWLEDGE_GRACE, Status.RUNNING, now, per_member, Status.RUNNING, now),
        )
        waiting: list[QueueEntry] = []
        running: list[QueueEntry] = []
        for row in rows:
            entry = QueueEntry(row["id"], row["user_id"], row["guild_id"], row["created_at"])
            if row["head"]:
                waiting.append(entry)
            else:
                running += [entry] * int(row["n"])
        return QueueState(
            tuple(waiting),
            tuple(running),
            {r["user_id"]: r["served_at"] for r in rows if r["head"] and r["served_at"] is not None},
        )

    async def renew(self, owner: str, job_ids: Sequence[str], *, until: float) -> set[str]:
        """Extend the leases ``owner`` still holds; return the ids it still holds."""
        if not job_ids:
            return set()
        marks = ", ".join("?" for _ in job_ids)
        rows = await self._db.fetchall(
            "UPDATE jobs SET lease_expires_at = ? WHERE id IN (SELECT id FROM jobs"
            f" WHERE lease_owner = ? AND status = ? AND id IN ({marks}) ORDER BY id{self._db.for_update}) RETURNING id",
            (until, owner, Status.RUNNING, *job_ids),
        )
        return {row["id"] for row in rows}

    async def expire_leases(self, *, now: float) -> int:
        """End every lease at once (SQLite: the one process starting again owns nothing yet)."""
        return await self._db.execute(
            "UPDATE jobs SET lease_expires_at = ? WHERE status = ? AND lease_expires_at > ?",
            (now, Status.RUNNING, now),
        )

    async def wait_for_work(self, timeout: float) -> None:
        """Return when the queue may have changed in any process, or after ``timeout`` seconds."""
        await self._db.wait_for_work(timeout)

    async def release(self, owner: str, job_id: str) -> None:
        """Give a running job back to the queue (shutdown): it runs again, in any process."""
        await self._db.execute(
            "UPDATE jobs SET status = ?, lease_owner = NULL, lease_expires_at = NULL"
            " WHERE id = ? AND lease_owner = ? AND status = ?",
            (Status.QUEUED, job_id, owner, Status.RUNNING),
        )
        await self._db.notify()

    # ------------------------------------------------------------------ endings
    async def cancel(self, job_id: str, *, now: float) -> bool:
        """Cancel a job that is still waiting (its reservation is released); False if it started or ended."""
        return await self._end(job_id, {"status": Status.CANCELLED, "finished_at": now}, (Status.QUEUED,), None, 0)

    async def mark_delivering(self, job_id: str, owner: str, nonce: str) -> bool:
        """Record that the result is about to be posted (with ``nonce``); False if the lease is lost."""
        return (
            await self._db.execute(
                "UPDATE jobs SET delivery_nonce = ? WHERE id = ? AND lease_owner = ? AND status = ?",
                (nonce, job_id, owner, Status.RUNNING),
            )
            > 0
        )

    async def mark_done(
        self,
        job_id: str,
        *,
        owner: str | None,
        message_id: int | None,
        image_count: int,
        gateway_request_id: str | None,
        overflow_message_ids: Iterable[int] = (),
        now: float,
    ) -> bool:
        """Record a delivered result; False if ``owner`` no longer holds the job (``None``: any)."""
        return await self._finish(
            job_id,
            owner,
            now,
            status=Status.DONE,
            message_id=message_id,
            image_count=image_count,
            gateway_request_id=gateway_request_id,
            overflow_message_ids=json.dumps(list(overflow_message_ids)),
        )

    async def mark_failed(
        self, job_id: str, *, owner: str | None, error: str, message_id: int | None = None, now: float
    ) -> bool:
        """Record a failure and the message that explained it."""
        return await self._finish(job_id, owner, now, status=Status.FAILED, error=error, message_id=message_id)

    async def _finish(self, job_id: str, owner: str | None, now: float, **columns: object) -> bool:
        columns |= {"finished_at": now, "lease_owner": None, "lease_expires_at": None}
        delivered = int(columns.get("image_count", 0)) if columns["status"] is Status.DONE else 0  # type: ignore[call-overload]
        return await self._end(job_id, columns, _OPEN, owner, delivered)

    async def _end(
        self, job_id: str, columns: dict[str, object], before: tuple[Status, ...], owner: str | None, delivered: int
    ) -> bool:
        """Record an ending (if the job is still in a ``before`` state and ``owner``'s) and settle its images."""
        return await self._endings.submit(ENDINGS, Ending(job_id, columns, before, owner, delivered))

    # ------------------------------------------------------------------ reading and small writes
    async def get(self, job_id: str) -> Job | None:
        """A job by id, or ``None``."""
        row = await self._db.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return job_from_row(row) if row is not None else None

    async def recent_for_user(self, user_id: int, limit: int = 10) -> list[Job]:
        """A user's latest jobs, newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM jobs WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?", (user_id, limit)
        )
        return [job_from_row(row) for row in rows]

    async def open_jobs(self, *, user_id: int | None = None) -> list[Job]:
        """Every queued or running job (of one user, if given), oldest first."""
        if user_id is None:
            rows = await self._db.fetchall("SELECT * FROM jobs WHERE status IN (?, ?) ORDER BY created_at, id", _OPEN)
        else:
            rows = await self._db.fetchall(
                "SELECT * FROM jobs WHERE status IN (?, ?) AND user_id = ? ORDER BY created_at, id", (*_OPEN, user_id)
            )
        return [job_from_row(row) for row in rows]

    async def add_note(self, job_id: str, note: str) -> None:
        """Add a note key to the job (shown while it waits and runs, and in its result)."""
        async with self._db.transaction() as tx:
            row = await tx.fetchone("SELECT notes FROM jobs WHERE id = ?", (job_id,))
            if row is not None and note not in (notes := json.loads(row["notes"])):
                await tx.execute("UPDATE jobs SET notes = ? WHERE id = ?", (json.dumps([*notes, note]), job_id))

    async def acknowledged(self, job_id: str, status_message_id: int | None, *, now: float) -> None:
        """The interaction was acknowledged with ``status_message_id``: the job may be claimed now.

        Nobody is woken: the caller tries to claim it first, and calls :meth:`announce` if it could not.
        """
        await self.record_acknowledgements([Acknowledgement(job_id, status_message_id, now)])

    async def record_acknowledgements(self, done: Sequence[Acknowledgement]) -> None:
        """Several :meth:`acknowledged` at once, in one transaction."""
        await self._db.execute_each(_acknowledgements(done))

    async def announce(self) -> None:
        """Wake every process: a job is waiting that this one could not take."""
        await self._db.notify()

    async def count_by_status(self) -> dict[Status, int]:
        """How many jobs are in each state (every state, zeros included), across all processes."""
        rows = await self._db.fetchall("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status")
        return dict.fromkeys(Status, 0) | {Status(row["status"]): int(row["n"]) for row in rows}

    async def purge_finished(self, *, before: float) -> int:
        """Delete ended jobs created before ``before`` (retention); queued and running ones stay."""
        return await self._db.execute(
            "DELETE FROM jobs WHERE created_at < ? AND status NOT IN (?, ?)", (before, *_OPEN)
        )

    async def forget_expired(self, now: float, *, click_window: float) -> int:
        """Erase interaction tokens Discord no longer accepts, and old clicks; return the tokens erased."""
        await self._db.execute("DELETE FROM clicks WHERE clicked_at <= ?", (now - click_window,))
        return await self._db.execute(
            "UPDATE jobs SET interaction_token = NULL WHERE id IN (SELECT id FROM jobs"
            f" WHERE interaction_token IS NOT NULL AND token_expires_at <= ? ORDER BY id{self._db.for_update})",
            (now,),
        )
