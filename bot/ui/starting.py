"""Starting a job from an interaction: admission, then the acknowledgement, then the queue.

Every way a job starts (slash command, button, Remix form, ``/show``) calls :func:`start_job`,
which asks the job layer's one admission function and words its refusals.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.gateway.models import GenerationRequest
from bot.jobs import JobEngine
from bot.jobs.admission import Click, JobRequest, Refusal
from bot.jobs.events import Note
from bot.storage.policies import PolicyDocuments
from bot.storage.records import Action, Job

from .language import auto_locale, member_locale
from .members import is_manager, member_roles, parent_channel_id
from .refusals import refusal_text

log = logging.getLogger(__name__)

# Discord accepts an interaction's token for 15 minutes; stop using it a little before.
TOKEN_LIFETIME = 15 * 60 - 30


async def start_job(
    interaction: discord.Interaction[Any],
    engine: JobEngine,
    request: GenerationRequest,
    *,
    action: Action,
    parent_id: str | None = None,
    documents: PolicyDocuments | None = None,
    notes: tuple[Note, ...] = (),
) -> Job | None:
    """Admit the job, answer "thinking…", and let it run; refusals are answered privately.

    ``documents``: the server's policy and the member's preferences, if the command already read them.
    """
    asked = JobRequest(
        request=request,
        action=action,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id or 0,
        user_id=interaction.user.id,
        parent_id=parent_id,
        interaction_token=interaction.token,
        token_expires_at=interaction.created_at.timestamp() + TOKEN_LIFETIME,
        upload_limit=interaction.filesize_limit,
        notes=(*_notes(interaction), *notes),
        click=Click(interaction.message.id, str(action)) if interaction.message is not None else None,
        parent_channel_id=parent_channel_id(interaction),
        member_role_ids=member_roles(interaction),
        is_manager=is_manager(interaction),
        documents=documents,
        auto_locale=auto_locale(interaction),
    )
    admitted = await engine.admit(asked)
    if isinstance(admitted, Refusal):
        await _say(interaction, refusal_text(admitted, member_locale(interaction)))
        return None
    try:
        message_id = await _acknowledge(interaction)
    except BaseException:
        await engine.abandon(admitted)  # never acknowledged: the member saw "interaction failed"
        raise
    await engine.acknowledged(admitted, message_id)
    log.info(
        "job %s accepted: action=%s model=%s user=%s n=%d size=%s",
        admitted.id, action, request.model, interaction.user.id, request.n, request.size,
    )  # fmt: skip
    return admitted


async def _acknowledge(interaction: discord.Interaction[Any]) -> int | None:
    """Defer with "thinking…" (unless already answered); return the status message's id."""
    if interaction.response.is_done():  # e.g. /show, which looked before deciding to regenerate
        return (await interaction.original_response()).id
    response = await interaction.response.defer(thinking=True)
    return response.message_id if response is not None else None


async def withdraw(interaction: discord.Interaction[Any], text: str) -> None:
    """Take back the public "thinking…" message and say ``text`` to the member alone.

    For interactions acknowledged before a job could be admitted (``/show``, an edit taking its
    images): a refusal stays between the bot and the member.
    """
    try:
        await interaction.delete_original_response()
    except discord.HTTPException as error:
        log.info("could not withdraw the acknowledgement: %s", error)
    await interaction.followup.send(text, ephemeral=True)


async def _say(interaction: discord.Interaction[Any], text: str) -> None:
    if interaction.response.is_done():
        await withdraw(interaction, text)
    else:
        await interaction.response.send_message(text, ephemeral=True)


def _notes(interaction: discord.Interaction[Any]) -> tuple[Note, ...]:
    permissions = interaction.app_permissions
    if permissions.send_messages and permissions.attach_files and permissions.view_channel:
        return ()
    return (Note.NO_CHANNEL_ACCESS,)
