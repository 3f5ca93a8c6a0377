"""Running a generation: call the gateway, then deliver images or an explanation. Nothing is lost."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from typing import Any

import discord

from bot.gateway import GatewayClient, GatewayError, GenerationRequest, IncompleteResult
from bot.images import PreparedImage, prepare_image
from bot.storage import Action, Generation, Storage
from bot.ui.buttons import failure_view, result_view
from bot.ui.failures import describe, new_error_id
from bot.ui.summary import render_summary

log = logging.getLogger(__name__)

MAX_FILES_PER_MESSAGE = 10
NO_MENTIONS = discord.AllowedMentions.none()


class JobRunner:
    """Starts generations for deferred interactions and tracks them until delivered."""

    def __init__(self, *, storage: Storage, gateway: GatewayClient) -> None:
        self._storage = storage
        self._gateway = gateway
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> int:
        """How many jobs are in flight."""
        return len(self._tasks)

    async def submit(
        self,
        interaction: discord.Interaction[Any],
        request: GenerationRequest,
        *,
        action: Action,
        parent_id: str | None = None,
    ) -> Generation:
        """Record a job for an already-acknowledged interaction and start it in the background."""
        generation = await self._storage.create_generation(
            request=request,
            action=action,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id or 0,
            user_id=interaction.user.id,
            parent_id=parent_id,
        )
        log.info(
            "job %s accepted: action=%s model=%s user=%s n=%d size=%s",
            generation.id, action, request.model, interaction.user.id, request.n, request.size,
        )  # fmt: skip
        task = asyncio.create_task(self._run(interaction, generation), name=f"job-{generation.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return generation

    async def wait_idle(self, timeout: float) -> bool:
        """Let running jobs finish for up to ``timeout`` seconds; True if all did."""
        if not self._tasks:
            return True
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        return not pending

    async def _run(self, interaction: discord.Interaction[Any], generation: Generation) -> None:
        started = time.monotonic()
        await self._storage.mark_running(generation.id)
        notes: list[str] = []
        try:
            try:
                result = await self._gateway.generate(generation.request)
            except IncompleteResult as partial:
                result = partial.result
                notes.append(f"⚠️ The gateway returned {len(result.images)} of {partial.expected} images.")
            limit = interaction.filesize_limit
            prepared = await asyncio.gather(
                *(
                    asyncio.to_thread(prepare_image, image.data, stem=f"{generation.id}_{i + 1}", limit=limit)
                    for i, image in enumerate(result.images)
                )
            )
            content = render_summary(
                generation, prepared, elapsed=time.monotonic() - started,
                revised_prompt=result.revised_prompt, notes=notes,
            )  # fmt: skip
            message = await self._deliver(interaction, generation, content, prepared)
        except GatewayError as error:
            await self._fail(interaction, generation, error)
            return
        except Exception as error:
            error_id = new_error_id()
            log.exception("job %s failed unexpectedly (error id %s)", generation.id, error_id)
            await self._fail(interaction, generation, error, error_id=error_id)
            return
        await self._storage.mark_done(
            generation.id,
            message_id=message.id,
            image_count=len(prepared),
            gateway_request_id=result.request_id,
        )
        log.info(
            "job %s delivered: images=%d elapsed=%.1fs",
            generation.id,
            len(prepared),
            time.monotonic() - started,
        )

    async def _deliver(
        self,
        interaction: discord.Interaction[Any],
        generation: Generation,
        content: str,
        images: list[PreparedImage],
    ) -> discord.Message:
        batches = [images[i : i + MAX_FILES_PER_MESSAGE] for i in range(0, len(images), MAX_FILES_PER_MESSAGE)]
        message = await interaction.edit_original_response(
            content=content, attachments=_files(batches[0]), view=result_view(generation.id),
            allowed_mentions=NO_MENTIONS,
        )  # fmt: skip
        for number, batch in enumerate(batches[1:], start=2):
            await interaction.followup.send(
                f"-# Images continued ({number}/{len(batches)}) · id `{generation.id}`",
                files=_files(batch), allowed_mentions=NO_MENTIONS,
            )  # fmt: skip
        return message

    async def _fail(
        self,
        interaction: discord.Interaction[Any],
        generation: Generation,
        error: BaseException,
        *,
        error_id: str | None = None,
    ) -> None:
        failure = describe(error, error_id=error_id)
        log.info("job %s failed: %s (%s)", generation.id, type(error).__name__, error)
        text = f"{failure.text}\n-# Requested by <@{generation.user_id}> · id `{generation.id}`"
        view = failure_view(generation.id) if failure.retryable else None
        message_id: int | None = None
        try:
            message = await interaction.edit_original_response(
                content=text, attachments=[], view=view, allowed_mentions=NO_MENTIONS
            )
            message_id = message.id
        except discord.HTTPException:
            log.exception("job %s: could not report its failure", generation.id)
        await self._storage.mark_failed(generation.id, error=f"{type(error).__name__}: {error}", message_id=message_id)


def _files(images: list[PreparedImage]) -> list[discord.File]:
    return [discord.File(io.BytesIO(image.data), filename=image.filename) for image in images]
