"""Jobs shown on Discord: the job layer's events become status edits, results and explanations."""

from __future__ import annotations

import logging

import discord

from bot.gateway.models import ImageSource
from bot.i18n import t
from bot.images import SourceImageGone, SourceProblem
from bot.jobs.events import Note, Progress
from bot.jobs.presenter import Delivery, Undeliverable
from bot.jobs.producer import Produced
from bot.storage.records import Job

from .buttons import FILES_PER_MESSAGE, cancel_view, failure_view
from .courier import Courier, NoRoute, Payload
from .failures import describe
from .layout import custom_ids, extra_actions, result_layout
from .status import footer, note_lines, render_progress
from .summary import render_summary

log = logging.getLogger(__name__)


class DiscordPresenter:
    """Implements :class:`bot.jobs.presenter.Presenter` over Discord's REST API (any process)."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._courier = Courier(client)

    async def show_progress(self, job: Job, progress: Progress) -> bool:
        view = cancel_view(job.id, job.locale) if progress.phase == "queued" else None
        try:
            await self._courier.show(job, Payload(render_progress(job, progress), view=view), replace_files=False)
        except (discord.HTTPException, NoRoute) as error:
            log.warning("job %s: status edit failed: %s", job.id, error)
            return False
        return True

    async def deliver(self, job: Job, produced: Produced, *, elapsed: float, notes: tuple[Note, ...]) -> Delivery:
        images = produced.images
        lines = note_lines(job, notes)
        if produced.partial is not None:
            partial = produced.partial
            lines.append(t("summary.partial", job.locale, got=partial.got, expected=partial.expected))
        summary = render_summary(job, images, elapsed=elapsed, revised_prompt=produced.revised_prompt, notes=lines)
        batches = [images[i : i + FILES_PER_MESSAGE] for i in range(0, len(images), FILES_PER_MESSAGE)]
        nonce = job.delivery_nonce
        try:
            layout = result_layout(
                job.id, job.locale, summary, [i.filename for i in batches[0]], total=len(images),
                extra_actions=extra_actions(job),
            )  # fmt: skip
            first = await self._courier.show(job, Payload("", tuple(batches[0]), layout), nonce=nonce)
            overflow = []
            for number, batch in enumerate(batches[1:], start=2):
                first_index = (number - 1) * FILES_PER_MESSAGE + 1
                text = t("summary.continued", job.locale, number=number, total=len(batches), id=job.id)
                layout = result_layout(
                    job.id, job.locale, text, [i.filename for i in batch], first_index=first_index, total=len(images)
                )
                extra = await self._courier.post(
                    job, Payload("", tuple(batch), layout), nonce=f"{nonce}{number}" if nonce else None
                )
                overflow.append(extra.id)
        except NoRoute as error:
            raise Undeliverable(str(error)) from None
        return Delivery(first.id, tuple(overflow))

    async def show_failure(self, job: Job, error: BaseException, *, error_id: str | None) -> int | None:
        failure = describe(error, job.locale, error_id=error_id)
        view = failure_view(job.id, job.locale) if failure.retryable else None
        try:
            message = await self._courier.show(job, Payload(f"{failure.text}\n{footer(job)}", view=view))
        except (discord.HTTPException, NoRoute) as problem:
            log.warning("job %s: could not report its failure: %s", job.id, problem)
            return None
        return message.id

    async def find_delivery(self, job: Job) -> Delivery | None:
        message = await self._courier.fetch_status_message(job)
        if message is None or not message.attachments:
            return None
        ids = custom_ids(message.components)
        return Delivery(message.id) if any(i.endswith(f":{job.id}") for i in ids) else None

    async def fetch_source(self, source: ImageSource) -> bytes:
        channel = self._client.get_partial_messageable(source.channel_id)
        try:
            message = await channel.fetch_message(source.message_id)
        except discord.HTTPException:
            raise SourceImageGone(SourceProblem.MESSAGE_GONE) from None
        attachment = next((a for a in message.attachments if a.filename == source.filename), None)
        if attachment is None:
            raise SourceImageGone(SourceProblem.ATTACHMENT_GONE)
        return await attachment.read()
