"""Running one claimed job: the gateway call, the delivery, or the explanation of a failure.

The engine claims jobs and hands each to :meth:`JobRunner.run` in its own task; the runner
writes the job's ending to the database only while this process still holds the job's lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.gateway import GatewayTimeout
from bot.gateway.errors import GatewayError
from bot.logs import bind, bind_job
from bot.metrics import JobOutcome, Metrics
from bot.storage.jobs import JobStore
from bot.storage.records import Job

from .events import Note, Progress
from .presenter import Presenter, Undeliverable
from .producer import Produced, Producer
from .undelivered import keep_undelivered

log = logging.getLogger(__name__)

MAX_RUNS = 3  # a job interrupted this many times is reported, not re-run forever
# "Generating" is shown once a job has run this long: Discord already shows "thinking…" (or the
# job's place in the queue) until then, and a job done sooner goes straight to its result with
# one edit instead of two.
GENERATING_AFTER = 1.0
# Results with large files posted at once: like downloads (see bot.gateway.client), each upload
# costs the loop a callback per chunk, so a burst of them is sent a few at a time.
LARGE_UPLOAD = 1024 * 1024  # bytes in one result's files
MAX_LARGE_UPLOADS = 16
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024  # Discord's per-file limit where nothing better is known


@dataclass(eq=False)
class Tracked:
    """A job this process shows (waiting) or runs."""

    job: Job
    task: asyncio.Task[None] | None = None  # set while running here
    started: float | None = None  # monotonic, while running here
    shown: Progress | None = None
    last_edit: float = 0.0
    final: bool = False  # the result or failure is being shown: no more status edits
    # Edits of the job's message are sent one at a time, so a slow status edit can never land
    # after (and overwrite) the result.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class JobRunner:
    """Runs claimed jobs for one process (whose leases are ``owner``'s)."""

    def __init__(
        self,
        *,
        owner: str,
        store: JobStore,
        producer: Producer,
        presenter: Presenter,
        metrics: Metrics,
        data_dir: Path,
        job_timeout: float,
        clock: Callable[[], float],
        show_generating: Callable[[Tracked], Awaitable[None]],
        forget: Callable[[str], None],
    ) -> None:
        self.owner = owner
        self._store = store
        self._producer = producer
        self._presenter = presenter
        self._metrics = metrics
        self._data_dir = data_dir
        self._job_timeout = job_timeout
        self._clock = clock
        self._show_generating = show_generating
        self._forget = forget
        self._large_uploads = asyncio.Semaphore(MAX_LARGE_UPLOADS)

    async def run(self, tracked: Tracked) -> None:
        """Run a claimed job to its end: images delivered, or a failure explained; never raises but on cancel."""
        job = tracked.job
        # The task inherits the context of whatever started it (maybe another member's command).
        bind_job(job.id, guild_id=job.guild_id, user_id=job.user_id)
        notes = stored_notes(job)
        outcome: JobOutcome | None = None  # stays None if this process stops before the job ends
        try:
            if job.attempts > 1 or job.delivery_nonce:  # it ran before: its result may be posted
                delivery = await self._presenter.find_delivery(job)
                if delivery is not None:
                    tracked.final = True
                    await self._store.mark_done(
                        job.id, owner=self.owner, message_id=delivery.message_id, image_count=job.request.n,
                        gateway_request_id=None, overflow_message_ids=delivery.overflow_message_ids,
                        now=self._clock(),
                    )  # fmt: skip
                    log.info("job %s: its result was posted before the interruption", job.id)
                    outcome = JobOutcome.DELIVERED
                    return
                if job.attempts > MAX_RUNS:
                    raise RuntimeError(f"interrupted {job.attempts - 1} times")
                notes = (*notes, Note.RERUN)
                tracked.job = job = await add_note(self._store, job, Note.RERUN)
            generating = asyncio.create_task(self._generating_later(tracked), name=f"job-{job.id}-status")
            try:
                async with asyncio.timeout(self._job_timeout):
                    produced = await self._producer.produce(
                        job,
                        upload_limit=job.upload_limit or DEFAULT_UPLOAD_LIMIT,
                        fetch_source=self._presenter.fetch_source,
                    )
            except TimeoutError:
                raise GatewayTimeout(f"job exceeded {self._job_timeout:.0f}s") from None
            finally:
                generating.cancel()
            bind(gateway_request_id=produced.request_id)
            reencoded = sum(image.reencoded for image in produced.images)
            self._metrics.images_made(job.request.model, len(produced.images), reencoded)
            tracked.final = True
            nonce = job.delivery_nonce or secrets.token_hex(8)
            if not await self._store.mark_delivering(job.id, self.owner, nonce):
                log.warning("job %s: lease lost before delivery; another process has it", job.id)
                return
            tracked.job = job = dataclasses.replace(job, delivery_nonce=nonce)  # the posts carry it
            elapsed = time.monotonic() - (tracked.started or time.monotonic())
            try:
                outcome = await self._deliver(tracked, produced, elapsed, notes)
            finally:
                produced.discard()  # posted, kept as undelivered, or given up: the files are done with
        except asyncio.CancelledError:
            raise  # shutdown or a lost lease: the job stays in the database
        except Exception as error:
            outcome = await self._fail(tracked, error)
        finally:
            self._forget(job.id)
            if outcome is not None:
                ran = time.monotonic() - (tracked.started or time.monotonic())
                self._metrics.job_finished(job.request.model, job.action, outcome, ran=ran)

    async def _generating_later(self, tracked: Tracked) -> None:
        await asyncio.sleep(GENERATING_AFTER)
        # Once sent, the edit is never abandoned: Discord could still apply it after the result
        # (which waits for it under the job's lock) and overwrite it.
        await asyncio.shield(self._show_generating(tracked))

    async def _deliver(
        self, tracked: Tracked, produced: Produced, elapsed: float, notes: tuple[Note, ...]
    ) -> JobOutcome:
        job = tracked.job
        try:
            large = sum(image.file.size for image in produced.images) > LARGE_UPLOAD
            async with tracked.lock, self._large_uploads if large else contextlib.nullcontext():
                delivery = await self._presenter.deliver(job, produced, elapsed=elapsed, notes=notes)
        except Undeliverable as error:
            kept = await asyncio.to_thread(keep_undelivered, self._data_dir, job.id, produced.images)
            log.warning("job %s undeliverable (%s); images kept in %s", job.id, error, kept)
            await self._store.mark_failed(job.id, owner=self.owner, error=f"undeliverable: {error}", now=self._clock())
            return JobOutcome.UNDELIVERABLE
        await self._store.mark_done(
            job.id, owner=self.owner, message_id=delivery.message_id, image_count=len(produced.images),
            gateway_request_id=produced.request_id, overflow_message_ids=delivery.overflow_message_ids,
            now=self._clock(),
        )  # fmt: skip
        log.info("job %s delivered: images=%d", job.id, len(produced.images))
        return JobOutcome.DELIVERED

    async def _fail(self, tracked: Tracked, error: BaseException) -> JobOutcome:
        tracked.final = True
        job = tracked.job
        error_id = None
        if isinstance(error, GatewayError) and error.request_id:
            bind(gateway_request_id=error.request_id)
        if not isinstance(error, GatewayError):
            error_id = secrets.token_hex(4)
            log.error("job %s failed unexpectedly (error id %s)", job.id, error_id, exc_info=error)
        else:
            log.info("job %s failed: %s (%s)", job.id, type(error).__name__, error)
        message_id = None
        try:
            async with tracked.lock:
                message_id = await self._presenter.show_failure(job, error, error_id=error_id)
        except Exception:
            log.exception("job %s: could not report its failure", job.id)
        await self._store.mark_failed(
            job.id, owner=self.owner, error=f"{type(error).__name__}: {error}", message_id=message_id, now=self._clock()
        )
        return JobOutcome.FAILED if isinstance(error, GatewayError) else JobOutcome.ERROR


async def add_note(store: JobStore, job: Job, note: Note) -> Job:
    """Store a note with the job (once); return the job as it is now."""
    if str(note) not in job.notes:
        await store.add_note(job.id, str(note))
        return await store.get(job.id) or job
    return job


def stored_notes(job: Job) -> tuple[Note, ...]:
    """The job's stored notes that this version knows."""
    known = {str(note) for note in Note}
    return tuple(Note(key) for key in job.notes if key in known)
