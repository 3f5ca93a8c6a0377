"""Storing new jobs: one transaction admits one member's requests, counted and reserved in order.

Counting the member's open jobs, checking and reserving today's allowances, and inserting happen
in one transaction under the server's and the member's locks, so a burst of clicks (in any number
of processes) can never get past a limit, while other members' admissions and the claims go on.
Several requests of one member that arrive together are admitted in one such transaction (see
:mod:`bot.storage.group_commit`): each is checked as if admitted alone, after those before it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Hashable
from dataclasses import dataclass

from .database import Database, Params, Session, guild_lock, user_lock
from .records import Job, NewJob, Status
from .usage import DM, USED_TODAY, AllowanceExceeded, Budget, check_allowances, reservation

_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_ID_LENGTH = 8  # 36**8 ≈ 2.8e12 ids: short to quote, collisions vanishingly rare (and retried)
_OPEN = (Status.QUEUED, Status.RUNNING)


class PendingLimitReached(Exception):
    """The user already has as many open jobs as allowed."""

    def __init__(self, pending: int, limit: int) -> None:
        super().__init__(f"{pending} open jobs, limit {limit}")
        self.pending = pending
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Admission:
    """One request to store a job: the job, the member's open-job limit, and today's allowances."""

    new: NewJob
    pending_limit: int
    now: float
    budget: Budget | None = None

    @property
    def key(self) -> Hashable:
        """Requests with the same key can share a transaction: same member, server, day and locks."""
        return (self.new.user_id, self.new.guild_id, self.budget.day if self.budget else None, self._server_limited)

    @property
    def locks(self) -> list[str]:
        # The server's lock only when its allowance is limited: otherwise members don't wait on each other.
        if self._server_limited:
            return [guild_lock(self.new.guild_id), user_lock(self.new.user_id)]
        return [user_lock(self.new.user_id)]

    @property
    def _server_limited(self) -> bool:
        return self.budget is not None and self.budget.server_limit is not None


def new_job_id() -> str:
    """A fresh short job id."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))


async def admit_together(database: Database, admissions: list[Admission]) -> list[Job | Exception]:
    """Admit ``admissions`` (one :attr:`Admission.key`) in one transaction; each one's job or refusal, in order.

    Everything the checks need is read in one statement and everything is written in one batch:
    on PostgreSQL the locks are held for three round trips however many requests there are (the
    first carries BEGIN and the locks, the last is COMMIT); on SQLite none of it leaves the loop.
    """
    first = admissions[0]
    day = first.budget.day if first.budget is not None else None
    user_id, guild_id = first.new.user_id, first.new.guild_id
    pending_sql = "(SELECT COUNT(*) FROM jobs WHERE user_id = ? AND status IN (?, ?)) AS pending"
    outcomes: list[Job | Exception] = []
    async with database.transaction(locks=first.locks) as tx:
        if day is not None:
            row = await tx.fetchone(
                f"SELECT {pending_sql}, {USED_TODAY}", (user_id, *_OPEN, user_id, day, guild_id or DM)
            )
        else:
            row = await tx.fetchone(f"SELECT {pending_sql}", (user_id, *_OPEN))
        pending = int(row["pending"]) if row is not None else 0
        used = {
            "member": int(row["member"]) if row is not None and day is not None else 0,
            "server": int(row["server"]) if row is not None and day is not None else 0,
        }
        writes: list[tuple[str, Params]] = []
        inserted: list[tuple[int, int, Admission, int]] = []  # (place in writes, in outcomes, request, images)
        for admission in admissions:
            if pending >= admission.pending_limit:
                outcomes.append(PendingLimitReached(pending, admission.pending_limit))
                continue
            reserved = admission.new.request.n if admission.budget is not None else 0
            if admission.budget is not None:
                try:
                    check_allowances(used, admission.budget, guild_id, reserved, now=admission.now)
                except AllowanceExceeded as spent:
                    outcomes.append(spent)
                    continue
                writes.append(reservation(admission.budget, guild_id, user_id, reserved))
                used = {"member": used["member"] + reserved, "server": used["server"] + reserved}
            job_id = new_job_id()
            inserted.append((len(writes), len(outcomes), admission, reserved))
            writes.append(_insertion(job_id, admission.new, admission.now, reserved, day))
            outcomes.append(_job(job_id, admission, reserved, day))
            pending += 1
        changed = await tx.execute_each(writes) if writes else []
        for place, outcome, admission, reserved in inserted:
            if not changed[place]:  # an id collision (vanishingly rare): draw again
                outcomes[outcome] = await _insert_anew(tx, admission, reserved, day)
    return outcomes


async def _insert_anew(tx: Session, admission: Admission, reserved: int, day: str | None) -> Job:
    while True:
        job_id = new_job_id()
        if await tx.execute(*_insertion(job_id, admission.new, admission.now, reserved, day)):
            return _job(job_id, admission, reserved, day)


def _job(job_id: str, admission: Admission, reserved: int, day: str | None) -> Job:
    new = admission.new
    return Job(
        id=job_id,
        parent_id=new.parent_id,
        action=new.action,
        guild_id=new.guild_id,
        channel_id=new.channel_id,
        user_id=new.user_id,
        request=new.request,
        status=Status.QUEUED,
        message_id=None,
        image_count=0,
        gateway_request_id=None,
        error=None,
        created_at=admission.now,
        started_at=None,
        finished_at=None,
        interaction_token=new.interaction_token,
        token_expires_at=new.token_expires_at,
        upload_limit=new.upload_limit,
        notes=new.notes,
        locale=new.locale,
        reserved=reserved,
        usage_day=day,
    )


def _insertion(job_id: str, new: NewJob, now: float, reserved: int, usage_day: str | None) -> tuple[str, Params]:
    """The statement that stores a new queued job (changing no row if ``job_id`` is taken)."""
    return (
        "INSERT INTO jobs (id, parent_id, action, guild_id, channel_id, user_id, model, request, seed,"
        " status, created_at, interaction_token, token_expires_at, upload_limit, notes, reserved, usage_day,"
        " locale) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        (
            job_id,
            new.parent_id,
            new.action,
            new.guild_id,
            new.channel_id,
            new.user_id,
            new.request.model,
            json.dumps(new.request.to_dict()),
            new.request.seed,
            Status.QUEUED,
            now,
            new.interaction_token,
            new.token_expires_at,
            new.upload_limit,
            json.dumps(list(new.notes)),
            reserved,
            usage_day,
            new.locale,
        ),
    )
