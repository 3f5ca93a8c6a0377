"""The job engine: claims jobs from the database, runs them under a lease, and reports by events.

Any number of processes run an engine on one database. Each claims jobs the fairness rule and
the limits allow (one transaction under the claims lock sees every process's running jobs), renews its
leases while the jobs run, and hands every change to a :class:`Presenter`. A job whose process
died is claimed again by another once its lease runs out; one whose result was already posted
is recorded as delivered rather than posted twice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.logs import bind
from bot.metrics import JobOutcome, Metrics
from bot.policy import Ceilings
from bot.storage.jobs import CLAIM_BATCH, Acknowledgement, JobStore
from bot.storage.policies import PolicyStore
from bot.storage.records import Job, Status
from bot.tasks import stop_tasks

from .admission import DOUBLE_CLICK_WINDOW, JobRequest, Refusal, admit
from .events import Note, Phase, Progress
from .fairness import Limits, pick_next, start_order
from .presenter import Presenter
from .producer import Producer
from .runner import JobRunner, Tracked, add_note, stored_notes

log = logging.getLogger(__name__)

ELAPSED_STEP = 10  # elapsed time is shown in steps, so it changes (and is edited) rarely
ELAPSED_CAP = 3600  # after an hour the elapsed time stops being edited
PAUSE_NOTICE_TIMEOUT = 5.0
SWEEP_INTERVAL = 60.0  # how often expired interaction tokens and old clicks are erased
POLL_INTERVAL = 2.0  # safety net under the wake-ups: also how soon an expired lease is noticed
CLAIM_COALESCE = 0.01  # seconds the claim loop lets wake-ups gather before it claims


def new_owner_id() -> str:
    """A name for this process's leases, unique among all processes sharing the database."""
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class QueueOverview:
    """The whole queue, for ``/queue`` and ``/jobs``."""

    running: int
    waiting: int
    positions: dict[str, int]  # waiting job id -> 1-based place
    running_ids: frozenset[str]


class JobEngine:
    """Admits, claims, runs and reports jobs."""

    def __init__(
        self,
        *,
        store: JobStore,
        policies: PolicyStore,
        producer: Producer,
        presenter: Presenter,
        limits: Limits,
        data_dir: Path,
        ceilings: Ceilings | None = None,
        capacity: int | None = None,
        owner: str | None = None,
        lease: float = 30.0,
        job_timeout: float = 600.0,
        status_interval: float = 5.0,
        single_process: bool = False,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
    ) -> None:
        self.limits = limits
        self.owner = owner or new_owner_id()
        self._store = store
        self._policies = policies
        self._ceilings = ceilings or Ceilings()
        # Jobs this process runs at once: the global limit counts all processes together; a
        # smaller share here leaves work for the others (workers beside a busy bot process).
        self._capacity = min(limits.global_running, capacity or limits.global_running)
        self._producer = producer
        self._presenter = presenter
        self._data_dir = data_dir
        self._lease = lease
        self._job_timeout = job_timeout
        self._status_interval = status_interval
        self._single_process = single_process  # SQLite: a running job not ours is an orphan at once
        self._clock = clock
        self._metrics = metrics or Metrics()  # counted but not served unless the process serves it
        self._tracked: dict[str, Tracked] = {}
        self._runner = JobRunner(
            owner=self.owner,
            store=store,
            producer=producer,
            presenter=presenter,
            metrics=self._metrics,
            data_dir=data_dir,
            job_timeout=job_timeout,
            clock=clock,
            show_generating=lambda tracked: self._refresh(tracked, force=True),
            forget=self._untrack,
        )
        self._background: list[asyncio.Task[None]] = []
        self._accepting = True
        self._claiming = True
        self._claim_lock = asyncio.Lock()
        self._answered: list[Acknowledgement] = []  # acknowledgements waiting for the next claim to record them

    @property
    def taking_jobs(self) -> bool:
        """Started, not stopping, and its loops alive."""
        return self._claiming and bool(self._background) and not any(t.done() for t in self._background)

    @property
    def running(self) -> int:
        """Jobs running in this process."""
        return sum(1 for t in self._tracked.values() if t.task is not None)

    # ------------------------------------------------------------------ life cycle
    async def start(self, *, adopt_waiting: bool = True) -> None:
        """Start claiming; ``adopt_waiting``: show the queued jobs a restart left (the bot process does)."""
        warming = asyncio.ensure_future(self._producer.warm_up())  # in a thread, beside the reads below
        if self._single_process:
            await self._store.expire_leases(now=self._clock())  # their process is gone: this is the only one
        if adopt_waiting:
            await self._adopt_waiting()
        self._background = [
            asyncio.create_task(self._claim_loop(), name="jobs-claim"),
            asyncio.create_task(self._lease_loop(), name="jobs-lease"),
            asyncio.create_task(self._status_loop(), name="jobs-status"),
        ]
        await warming

    async def shutdown(self, grace: float) -> None:
        """Stop taking jobs, let running ones finish for ``grace`` seconds, give the rest back."""
        self._accepting = self._claiming = False
        running = [t.task for t in self._tracked.values() if t.task is not None]
        if running and grace > 0:
            log.info("waiting up to %.0fs for %d running jobs", grace, len(running))
            await asyncio.wait(running, timeout=grace)
        # A job already delivering its result is never cancelled: that could post it and then
        # forget it was posted. Those finish; the others are interrupted and given back.
        interrupted = [t for t in self._tracked.values() if t.task is not None and not t.final]
        delivering = [t.task for t in self._tracked.values() if t.task is not None and t.final]
        await stop_tasks(*(t.task for t in interrupted), *self._background)
        if delivering:
            await asyncio.wait(delivering, timeout=PAUSE_NOTICE_TIMEOUT)
        # (An interrupted job's task has already forgotten it: it is listed from ``interrupted``.)
        paused = [*interrupted, *(t for t in self._tracked.values() if t.task is None and not t.final)]
        if paused:
            # Shown before the jobs are given back, so it can never overwrite the "generating" of
            # another process that takes one over.
            log.info("%d jobs paused until the next start", len(paused))
            notices = [asyncio.create_task(self._show(t, Progress(Phase.PAUSED))) for t in paused]
            await asyncio.wait(notices, timeout=PAUSE_NOTICE_TIMEOUT)
        for tracked in interrupted:
            await self._store.release(self.owner, tracked.job.id)

    # ------------------------------------------------------------------ admission
    async def admit(self, asked: JobRequest) -> Job | Refusal:
        """Store a job someone asked for, or refuse it (see :mod:`bot.jobs.admission`)."""
        admitted = await admit(
            self._store,
            self._policies,
            asked,
            pending_limit=self.limits.user_pending,
            ceilings=self._ceilings,
            accepting=self._accepting,
            now=self._clock(),
        )
        if isinstance(admitted, Refusal):
            self._metrics.refused(admitted.kind)
        else:
            self._metrics.job_accepted(admitted.request.model, admitted.action)
            bind(job_id=admitted.id)  # the rest of this interaction's log lines name its job
        return admitted

    async def acknowledged(self, job: Job, status_message_id: int | None) -> None:
        """The member was answered ("thinking…"): the job may run now; this process shows its place."""
        # Recorded in the claim's transaction when this process may start jobs: a job that can
        # start at once is never shown as queued, and costs one commit for both.
        try:
            await self._claim_available(Acknowledgement(job.id, status_message_id, self._clock()))
        except Exception:
            # The job is stored and the member answered: a later claim starts it. An error here
            # would tell them it failed (and invite a second job), when it has only to wait.
            log.exception("claiming after job %s was acknowledged failed; the claim loop will start it", job.id)
            return
        if job.id not in self._tracked:
            job = await self._store.get(job.id) or job
            if job.status is Status.QUEUED:
                await self._store.announce()  # no room here: another process may have some
                self._tracked[job.id] = tracked = Tracked(job)
                await self._refresh_waiting([tracked], force=True)

    async def abandon(self, job: Job) -> None:
        """The interaction could not be acknowledged: nobody waits for this job, so it never runs."""
        if await self._store.cancel(job.id, now=self._clock()):
            self._metrics.job_finished(job.request.model, job.action, JobOutcome.CANCELLED)

    async def cancel(self, job_id: str) -> Job | None:
        """Cancel a waiting job (from any process); return it, or ``None`` if it is not waiting."""
        job = await self._store.get(job_id)
        if job is None or not await self._store.cancel(job_id, now=self._clock()):
            return None
        if (tracked := self._tracked.pop(job_id, None)) is not None:
            tracked.final = True  # no status edit may follow the cancellation
        self._metrics.job_finished(job.request.model, job.action, JobOutcome.CANCELLED)
        log.info("job %s cancelled", job_id)
        return job

    async def overview(self) -> QueueOverview:
        """Every process's running and waiting jobs, with positions."""
        state = await self._store.queue_state(self._clock())
        order = start_order(state)
        return QueueOverview(
            running=len(state.running),
            waiting=len(state.waiting),
            positions={job_id: place for place, job_id in enumerate(order, start=1)},
            running_ids=frozenset(e.job_id for e in state.running),
        )

    # ------------------------------------------------------------------ claiming
    async def _claim_loop(self) -> None:
        while self._claiming:
            try:
                await self._claim_available()
            except Exception:
                log.exception("claiming jobs failed; trying again shortly")
            await self._store.wait_for_work(POLL_INTERVAL)
            # Wake-ups come in bursts (every job that ends announces a free slot): one claim
            # after a short pause serves the whole burst, instead of one claim each.
            await asyncio.sleep(CLAIM_COALESCE)

    async def _claim_available(self, acknowledged: Acknowledgement | None = None) -> None:
        """Start every job the limits allow now (in any process's share, as this one has room).

        ``acknowledged`` is recorded first, in the first claim's transaction, or on its own if none
        runs. Acknowledgements that arrive while a claim runs share the next one: in a burst, one
        claim records many, instead of each waiting its turn for a claim (and a commit) of its own.
        """
        if acknowledged is not None:
            self._answered.append(acknowledged)
        pick = functools.partial(pick_next, limits=self.limits)
        failure: Exception | None = None
        async with self._claim_lock:
            if acknowledged is not None and acknowledged not in self._answered:
                return  # recorded by the claim that ran while this one waited, which also saw its job
            answered, self._answered = self._answered, []
            try:
                while self._claiming and (room := self._capacity - self.running) > 0:
                    try:
                        claimed = await self._store.claim_many(
                            self.owner, pick=pick, lease=self._lease, now=self._clock(),
                            room=min(room, CLAIM_BATCH), acknowledged=answered,
                        )  # fmt: skip
                    except Exception as error:
                        failure = error  # raised below, once the acknowledgements are recorded on their own
                        break
                    answered = []
                    for job in claimed:
                        self._start(job)
                    if len(claimed) < min(room, CLAIM_BATCH):
                        break  # nothing more the limits allow now
                if answered:  # no claim ran (no room here, or not taking jobs), or it failed
                    await self._store.record_acknowledgements(answered)
            except BaseException:
                self._answered[:0] = answered  # not recorded: the next claim records them
                raise
        if failure is not None:
            raise failure

    def _start(self, job: Job) -> None:
        tracked = self._tracked.get(job.id)
        if tracked is None:
            self._tracked[job.id] = tracked = Tracked(job)
        tracked.job, tracked.started = job, time.monotonic()
        self._metrics.job_started(job.request.model, waited=self._clock() - job.created_at)
        tracked.task = asyncio.create_task(self._runner.run(tracked), name=f"job-{job.id}")
        log.info("job %s claimed by %s (run %d)", job.id, self.owner, job.attempts)

    async def _lease_loop(self) -> None:
        last_sweep = 0.0
        while True:
            await asyncio.sleep(self._lease / 3)
            if time.monotonic() - last_sweep > SWEEP_INTERVAL:
                last_sweep = time.monotonic()
                try:  # interaction tokens are secrets: none outlives Discord's 15 minutes
                    await self._store.forget_expired(self._clock(), click_window=DOUBLE_CLICK_WINDOW)
                except Exception:
                    log.exception("forgetting expired interaction tokens failed")
            mine = [t.job.id for t in self._tracked.values() if t.task is not None]
            if not mine:
                continue
            try:
                held = await self._store.renew(self.owner, mine, until=self._clock() + self._lease)
            except Exception:
                log.exception("renewing leases failed; trying again")
                continue
            for job_id in set(mine) - held:
                tracked = self._tracked.get(job_id)
                if tracked is not None and tracked.task is not None and not tracked.final:
                    log.warning("job %s: lease lost to another process; stopping here", job_id)
                    tracked.final = True
                    tracked.task.cancel()

    # ------------------------------------------------------------------ status
    def _untrack(self, job_id: str) -> None:
        self._tracked.pop(job_id, None)

    async def _adopt_waiting(self) -> None:
        """Show the jobs a restart left waiting, noting that they carried on."""
        for job in await self._store.open_jobs():
            if job.status is Status.QUEUED and job.acknowledged_at is not None and job.id not in self._tracked:
                self._tracked[job.id] = Tracked(await add_note(self._store, job, Note.RESUMED))
        if self._tracked:
            log.info("resumed %d waiting jobs", len(self._tracked))

    async def _status_loop(self) -> None:
        while True:
            await asyncio.sleep(self._status_interval)
            try:
                await self._refresh_waiting(list(self._tracked.values()))
                for tracked in list(self._tracked.values()):
                    if tracked.task is not None:
                        await self._refresh(tracked)
            except Exception:
                log.exception("status refresh failed")

    async def _refresh_waiting(self, candidates: list[Tracked], *, force: bool = False) -> None:
        waiting = [t for t in candidates if t.task is None and not t.final]
        if not waiting:
            return
        overview = await self.overview()
        for tracked in waiting:
            place = overview.positions.get(tracked.job.id)
            if place is None:  # claimed by another process, cancelled, or ended: not ours to show
                if tracked.task is None:
                    self._tracked.pop(tracked.job.id, None)
                continue
            notes = stored_notes(tracked.job)
            await self._refresh(tracked, Progress(Phase.QUEUED, place, overview.waiting, notes=notes), force=force)

    async def _refresh(self, tracked: Tracked, progress: Progress | None = None, *, force: bool = False) -> None:
        """Show the job's status if it changed (throttled unless ``force``)."""
        if not force and time.monotonic() - tracked.last_edit < self._status_interval * 0.8:
            return
        if progress is None:
            elapsed = min(time.monotonic() - (tracked.started or time.monotonic()), ELAPSED_CAP)
            notes = stored_notes(tracked.job)
            progress = Progress(Phase.GENERATING, elapsed=int(elapsed // ELAPSED_STEP * ELAPSED_STEP), notes=notes)
        if progress == tracked.shown:
            return
        await self._show(tracked, progress)

    async def _show(self, tracked: Tracked, progress: Progress) -> None:
        async with tracked.lock:
            if tracked.final and progress.phase is not Phase.PAUSED:
                return
            tracked.last_edit = time.monotonic()
            try:
                shown = await self._presenter.show_progress(tracked.job, progress)
            except Exception:
                log.exception("job %s: showing its status failed", tracked.job.id)
                shown = False
            if shown:  # a status that could not be shown is shown again at the next refresh
                tracked.shown = progress
