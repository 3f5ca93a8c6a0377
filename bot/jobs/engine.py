"""The job engine: admission, a fair durable queue, running, status, delivery, recovery, shutdown.

Every accepted job is in the database before its interaction is acknowledged, and ends in
exactly one of: images delivered, an explanation (with Retry where it helps), or cancelled.
A restart resumes queued jobs in order and re-runs interrupted ones unless their result was
already delivered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord

from bot.gateway import (
    GatewayClient,
    GatewayError,
    GatewayTimeout,
    GenerationRequest,
)
from bot.images import PreparedImage
from bot.storage import Action, Generation, Status, Storage
from bot.ui.buttons import cancel_view, continuation_view, failure_view, result_view
from bot.ui.failures import describe, new_error_id
from bot.ui.summary import render_summary

from . import status
from .courier import Courier, Payload, Undeliverable
from .producer import Producer
from .scheduler import FairScheduler, Limits, Ticket

log = logging.getLogger(__name__)

MAX_FILES_PER_MESSAGE = 10
ELAPSED_STEP = 10  # elapsed time is shown in steps, so it changes (and is edited) rarely
ELAPSED_CAP = 3600  # after an hour the elapsed time stops being edited
DOUBLE_CLICK_WINDOW = 5.0
MAX_RUNS = 3  # a job interrupted by this many restarts is reported, not re-run forever
PAUSE_NOTICE_TIMEOUT = 5.0


@dataclass(eq=False)
class Job:
    """A job the engine is tracking (waiting or running)."""

    generation: Generation
    interaction: discord.Interaction[Any] | None  # None after a restart
    status_message_id: int | None
    notes: list[str] = field(default_factory=list)  # shown while waiting and running
    history: list[str] = field(default_factory=list)  # also kept in the result (e.g. a restart)
    started: float | None = None  # monotonic
    shown: str = ""
    last_edit: float = 0.0
    final: bool = False  # the result or failure is being delivered: no more status edits
    # Edits of the job's message are sent one at a time, so a slow status edit can never land
    # after (and overwrite) the result.
    edit_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class JobEngine:
    """Owns every job from acceptance to delivery."""

    def __init__(
        self,
        client: discord.Client,
        *,
        storage: Storage,
        gateway: GatewayClient,
        limits: Limits,
        job_timeout: float,
        data_dir: Path,
        status_interval: float = 5.0,
    ) -> None:
        self._client = client
        self._storage = storage
        self._gateway = gateway
        self._scheduler = FairScheduler(limits)
        self._job_timeout = job_timeout
        # One status message is edited at most once per interval (Discord rate-limits edits).
        self._status_interval = status_interval
        self._data_dir = data_dir
        self._courier = Courier(client)
        self._producer = Producer(client, gateway)
        self._jobs: dict[str, Job] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._background: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._accepting = True
        self._admitting: Counter[int] = Counter()
        self._recent_clicks: dict[tuple[int, int, str], float] = {}

    @property
    def limits(self) -> Limits:
        return self._scheduler.limits

    @property
    def running(self) -> int:
        return len(self._tasks)

    @property
    def waiting(self) -> int:
        return self._scheduler.waiting

    def state_of(self, job_id: str) -> tuple[str, int | None] | None:
        """("waiting", position) or ("running", None) for a tracked job, else None."""
        if job_id in self._tasks:
            return ("running", None)
        position = self._scheduler.position(job_id)
        return ("waiting", position) if position is not None else None

    def jobs_of(self, user_id: int) -> list[str]:
        """Ids of a user's tracked (waiting or running) jobs."""
        return [job_id for job_id, job in self._jobs.items() if job.generation.user_id == user_id]

    # ------------------------------------------------------------------ life cycle
    async def start(self) -> None:
        """Resume what a previous run left unfinished, then start scheduling."""
        await self._recover()
        self._background = [
            asyncio.create_task(self._dispatch_loop(), name="jobs-dispatch"),
            asyncio.create_task(self._status_loop(), name="jobs-status"),
        ]
        self._wake.set()

    async def shutdown(self, grace: float) -> None:
        """Stop accepting, let running jobs finish for ``grace`` seconds, persist the rest."""
        self._accepting = False
        for task in self._background:
            task.cancel()
        running = list(self._tasks.values())
        if running and grace > 0:
            log.info("waiting up to %.0fs for %d running jobs", grace, len(running))
            await asyncio.wait(running, timeout=grace)
        # A job already delivering its result is never cancelled: that could post it and then
        # forget it was posted. Those finish; the others are interrupted and re-queued.
        interrupted = [job for job_id, job in self._jobs.items() if job_id in self._tasks and not job.final]
        delivering = [self._tasks[job.generation.id] for job in self._jobs.values()
                      if job.final and job.generation.id in self._tasks]  # fmt: skip
        cancelled = [self._tasks[job.generation.id] for job in interrupted]
        for task in cancelled:
            task.cancel()
        await asyncio.gather(*cancelled, *self._background, return_exceptions=True)
        if delivering:
            await asyncio.wait(delivering, timeout=PAUSE_NOTICE_TIMEOUT)
        for job in interrupted:
            await self._storage.mark_queued(job.generation.id)
        paused = [job for job in [*interrupted, *self._jobs.values()] if not job.final]
        if paused:
            log.info("%d jobs paused until the next start", len(paused))
            notices = [self._show_status(job, status.paused(job.generation), view=None) for job in paused]
            await asyncio.wait([asyncio.create_task(n) for n in notices], timeout=PAUSE_NOTICE_TIMEOUT)

    # ------------------------------------------------------------------ admission
    async def submit(
        self,
        interaction: discord.Interaction[Any],
        request: GenerationRequest,
        *,
        action: Action,
        parent_id: str | None = None,
    ) -> Generation | None:
        """Accept a job: persist it, acknowledge the interaction (unless already done), queue it.

        Refusals (shutting down, double click, over the limit) are answered ephemerally.
        """
        user_id = interaction.user.id
        refusal = self._refusal(interaction, action)
        if refusal is not None:
            if interaction.response.is_done():
                await interaction.followup.send(refusal, ephemeral=True)
            else:
                await interaction.response.send_message(refusal, ephemeral=True)
            return None
        self._admitting[user_id] += 1
        try:
            # The record is written while Discord is told "thinking…", and both complete before
            # anything else: the job is durable by the time it is acknowledged, and the
            # acknowledgement never waits in the database's queue behind other jobs' writes.
            saving = asyncio.create_task(
                self._storage.create_generation(
                    request=request,
                    action=action,
                    guild_id=interaction.guild_id,
                    channel_id=interaction.channel_id or 0,
                    user_id=user_id,
                    parent_id=parent_id,
                )
            )
            try:
                message_id = await self._acknowledge(interaction)
            except BaseException:
                await self._storage.mark_cancelled((await saving).id)  # never acknowledged: nobody waits
                raise
            try:
                generation = await saving
            except Exception:
                error_id = new_error_id()
                log.exception("could not save a job (error id %s)", error_id)
                await interaction.edit_original_response(
                    content=f"💥 I couldn't save this job (error id `{error_id}`). Please try again."
                )
                return None
            await self._storage.set_status_message(generation.id, message_id)
            job = Job(generation, interaction, message_id, notes=self._permission_notes(interaction, generation))
            self._jobs[generation.id] = job
            self._scheduler.add(Ticket(generation.id, user_id, interaction.guild_id), enforce_limit=False)
        finally:
            self._admitting[user_id] -= 1
        log.info(
            "job %s accepted: action=%s model=%s user=%s n=%d size=%s",
            generation.id, action, request.model, user_id, request.n, request.size,
        )  # fmt: skip
        self._dispatch()  # a job that can start now shows "generating" straight away, not "queued"
        await self._refresh(job, force=True)
        return generation

    @staticmethod
    async def _acknowledge(interaction: discord.Interaction[Any]) -> int | None:
        """Defer with "thinking…" (unless already answered); return the status message's id."""
        if interaction.response.is_done():  # e.g. /show, which looked before deciding to regenerate
            return (await interaction.original_response()).id
        response = await interaction.response.defer(thinking=True)
        return response.message_id if response is not None else None

    def _refusal(self, interaction: discord.Interaction[Any], action: Action) -> str | None:
        if not self._accepting:
            return "🔄 The bot is restarting right now. Please try again in a minute."
        user_id = interaction.user.id
        if interaction.message is not None:
            key = (interaction.message.id, user_id, str(action))
            now = time.monotonic()
            self._recent_clicks = {k: t for k, t in self._recent_clicks.items() if now - t < DOUBLE_CLICK_WINDOW}
            if key in self._recent_clicks:
                return "👆 You just pressed that; the first click already started a job."
            self._recent_clicks[key] = now
        pending = self._scheduler.pending_for(user_id) + self._admitting[user_id]
        limit = self.limits.user_pending
        if pending >= limit:
            return (
                f"⏳ You already have {pending} jobs waiting or generating, and the limit is {limit} per person. "
                "Wait for one to finish (or cancel a queued one), then try again."
            )
        return None

    @staticmethod
    def _permission_notes(interaction: discord.Interaction[Any], generation: Generation) -> list[str]:
        permissions = interaction.app_permissions
        if permissions.send_messages and permissions.attach_files and permissions.view_channel:
            return []
        return [
            "⚠️ I can't post in this channel myself, so I can only answer here within 15 minutes. "
            f"If it takes longer, the result is kept under id `{generation.id}`."
        ]

    async def cancel(self, interaction: discord.Interaction[Any], job_id: str) -> None:
        """The Cancel button: requester or Manage Messages, and only while waiting."""
        job = self._jobs.get(job_id)
        if job is None or not self._scheduler.is_waiting(job_id):
            await interaction.response.send_message(
                "This job is not waiting any more (it started or ended), so it can't be cancelled.", ephemeral=True
            )
            return
        is_moderator = isinstance(interaction.user, discord.Member) and interaction.permissions.manage_messages
        if interaction.user.id != job.generation.user_id and not is_moderator:
            await interaction.response.send_message(
                f"Only <@{job.generation.user_id}> or a moderator (Manage Messages) can cancel this job.",
                ephemeral=True, allowed_mentions=discord.AllowedMentions.none(),
            )  # fmt: skip
            return
        self._scheduler.remove(job_id)
        self._jobs.pop(job_id, None)
        job.final = True  # set before any await: no status edit can follow the cancellation
        await self._storage.mark_cancelled(job_id)
        log.info("job %s cancelled by %s", job_id, interaction.user.id)
        await interaction.response.edit_message(
            content=status.cancelled(job.generation, interaction.user.id), view=None,
            allowed_mentions=discord.AllowedMentions.none(),
        )  # fmt: skip
        self._wake.set()

    # ------------------------------------------------------------------ scheduling
    async def _dispatch_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            self._dispatch()

    def _dispatch(self) -> None:
        """Start every job the limits allow now."""
        while self._accepting and (ticket := self._scheduler.next_ready()) is not None:
            job = self._jobs.get(ticket.job_id)
            if job is None:
                self._scheduler.finish(ticket.job_id)
                continue
            job.started = time.monotonic()
            self._tasks[ticket.job_id] = asyncio.create_task(self._run(job), name=f"job-{ticket.job_id}")

    async def _status_loop(self) -> None:
        while True:
            await asyncio.sleep(self._status_interval)
            for job in list(self._jobs.values()):
                await self._refresh(job)

    def _status_text(self, job: Job) -> str:
        if job.started is not None:
            elapsed = min(time.monotonic() - job.started, ELAPSED_CAP)
            notes = [*job.history, *job.notes]
            return status.generating(job.generation, elapsed // ELAPSED_STEP * ELAPSED_STEP, notes)
        position = self._scheduler.position(job.generation.id)
        return status.queued(job.generation, position, self._scheduler.waiting, [*job.history, *job.notes])

    async def _refresh(self, job: Job, *, force: bool = False) -> None:
        """Edit the status message if its text changed (throttled unless ``force``)."""
        if not force and time.monotonic() - job.last_edit < self._status_interval * 0.8:
            return
        async with job.edit_lock:
            text = self._status_text(job)
            if job.final or text == job.shown:
                return
            view = cancel_view(job.generation.id) if job.started is None else None
            job.shown, job.last_edit = text, time.monotonic()
            await self._send_status(job, text, view=view)

    async def _show_status(self, job: Job, text: str, *, view: discord.ui.View | None) -> None:
        async with job.edit_lock:
            if not job.final:
                await self._send_status(job, text, view=view)

    async def _send_status(self, job: Job, text: str, *, view: discord.ui.View | None) -> None:
        try:
            await self._courier.show(
                channel_id=job.generation.channel_id, status_message_id=job.status_message_id,
                interaction=job.interaction, payload=Payload(text, view=view), replace_files=False,
            )  # fmt: skip
        except (discord.HTTPException, Undeliverable) as error:
            log.warning("job %s: status edit failed: %s", job.generation.id, error)

    # ------------------------------------------------------------------ running
    async def _run(self, job: Job) -> None:
        generation = job.generation
        started = job.started or time.monotonic()
        try:
            await self._storage.mark_running(generation.id)
            await self._refresh(job, force=True)
            try:
                async with asyncio.timeout(self._job_timeout):
                    produced = await self._producer.produce(generation, upload_limit=self._upload_limit(job))
            except TimeoutError:
                raise GatewayTimeout(f"job exceeded {self._job_timeout:.0f}s") from None
            job.final = True
            content = render_summary(
                generation, produced.images, elapsed=time.monotonic() - started,
                revised_prompt=produced.revised_prompt, notes=[*job.history, *produced.notes],
            )  # fmt: skip
            await self._deliver(job, content, produced.images, produced.request_id)
        except asyncio.CancelledError:
            raise  # shutdown: the job stays queued in the database
        except Exception as error:
            await self._fail(job, error)
        finally:
            self._scheduler.finish(generation.id)
            self._tasks.pop(generation.id, None)
            self._jobs.pop(generation.id, None)
            self._wake.set()

    def _upload_limit(self, job: Job) -> int:
        """The per-file upload limit where the job posts (the interaction knows it best)."""
        if job.interaction is not None:
            return job.interaction.filesize_limit
        guild = self._client.get_guild(job.generation.guild_id or 0)
        return guild.filesize_limit if guild is not None else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES

    async def _deliver(self, job: Job, content: str, images: list[PreparedImage], request_id: str | None) -> None:
        generation = job.generation
        batches = [images[i : i + MAX_FILES_PER_MESSAGE] for i in range(0, len(images), MAX_FILES_PER_MESSAGE)]
        try:
            async with job.edit_lock:
                message = await self._courier.show(
                    channel_id=generation.channel_id, status_message_id=job.status_message_id,
                    interaction=job.interaction,
                    payload=Payload(content, tuple(batches[0]), result_view(generation.id, len(batches[0]))),
                )  # fmt: skip
            overflow: list[int] = []
            for number, batch in enumerate(batches[1:], start=2):
                first_index = (number - 1) * MAX_FILES_PER_MESSAGE + 1
                extra = await self._courier.show(
                    channel_id=generation.channel_id, status_message_id=None, interaction=None,
                    payload=Payload(f"-# Images continued ({number}/{len(batches)}) · id `{generation.id}`",
                                    tuple(batch), continuation_view(generation.id, first_index, len(batch))),
                )  # fmt: skip
                overflow.append(extra.id)
        except Undeliverable as error:
            kept = await asyncio.to_thread(self._keep_undelivered, generation.id, images)
            log.warning("job %s undeliverable (%s); images kept in %s", generation.id, error, kept)
            await self._storage.mark_failed(generation.id, error=f"undeliverable: {error}")
            return
        await self._storage.mark_done(
            generation.id, message_id=message.id, image_count=len(images),
            gateway_request_id=request_id, overflow_message_ids=overflow,
        )  # fmt: skip
        log.info("job %s delivered: images=%d", generation.id, len(images))

    def undelivered_images(self, generation_id: str) -> list[Path]:
        """Images of a result that could not be posted (kept on disk), in order."""
        folder = self._data_dir / "undelivered" / generation_id
        return sorted(folder.iterdir()) if folder.is_dir() else []

    def _keep_undelivered(self, generation_id: str, images: list[PreparedImage]) -> Path:
        folder = self._data_dir / "undelivered" / generation_id
        folder.mkdir(parents=True, exist_ok=True)
        for image in images:
            (folder / image.filename).write_bytes(image.data)
        return folder

    async def _fail(self, job: Job, error: BaseException) -> None:
        job.final = True
        generation = job.generation
        error_id = None
        if not isinstance(error, GatewayError):
            error_id = new_error_id()
            log.error("job %s failed unexpectedly (error id %s)", generation.id, error_id, exc_info=error)
        else:
            log.info("job %s failed: %s (%s)", generation.id, type(error).__name__, error)
        failure = describe(error, error_id=error_id)
        text = f"{failure.text}\n-# Requested by <@{generation.user_id}> · id `{generation.id}`"
        view = failure_view(generation.id) if failure.retryable else None
        message_id = None
        try:
            async with job.edit_lock:
                message = await self._courier.show(
                    channel_id=generation.channel_id, status_message_id=job.status_message_id,
                    interaction=job.interaction, payload=Payload(text, view=view),
                )  # fmt: skip
            message_id = message.id
        except (discord.HTTPException, Undeliverable):
            log.exception("job %s: could not report its failure", generation.id)
        await self._storage.mark_failed(generation.id, error=f"{type(error).__name__}: {error}", message_id=message_id)

    # ------------------------------------------------------------------ recovery
    async def _recover(self) -> None:
        unfinished = await self._storage.unfinished()
        for generation in unfinished:
            job = Job(generation, None, generation.status_message_id)
            if generation.attempts > 0:  # it was started before: its result may already be posted
                if await self._courier.already_delivered(
                    generation.channel_id, generation.status_message_id, generation.id
                ):
                    await self._storage.mark_done(
                        generation.id, message_id=generation.status_message_id,
                        image_count=generation.request.n, gateway_request_id=None,
                    )  # fmt: skip
                    log.info("job %s: result was delivered before the restart", generation.id)
                    continue
                if generation.attempts >= MAX_RUNS:
                    await self._fail(job, RuntimeError(f"interrupted by {generation.attempts} restarts"))
                    continue
                if generation.status is Status.RUNNING:
                    await self._storage.mark_queued(generation.id)
                job.history.append("🔄 The bot restarted while this was generating, so it ran again.")
            else:
                job.history.append("🔄 Resumed after a restart.")
            self._jobs[generation.id] = job
            self._scheduler.add(Ticket(generation.id, generation.user_id, generation.guild_id), enforce_limit=False)
        if unfinished:
            log.info("resumed %d unfinished jobs", len(self._jobs))
        for job in list(self._jobs.values()):
            await self._refresh(job, force=True)
