"""One way to run an edit, whatever started it: take the images, build the request, admit the job.

Taking the images means downloading them from Discord, which may take longer than the 3 seconds an
interaction allows, so the interaction is acknowledged first ("thinking…", public, as every job's
status is). A problem found after that withdraws the public message and answers privately, so a
refused edit never shows in the channel.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.catalogue import EditOptions, InvalidOption, ModelSpec, image_field
from bot.i18n import t
from bot.inputs import Attachment, AttachmentUnavailable, HostNotAllowed, take_inputs
from bot.jobs.events import Note
from bot.storage import Action
from bot.ui.language import member_locale
from bot.ui.starting import start_job, withdraw

if TYPE_CHECKING:
    from bot.client import ImagineBot

log = logging.getLogger(__name__)


def check_declared(spec: ModelSpec, attachments: Sequence[discord.Attachment]) -> InvalidOption | None:
    """What Discord already says about the files (type, size, pixels), checked before anything is fetched.

    The files are checked again once downloaded: a declared size or type is never trusted.
    """
    try:
        spec.edit.check_count(len(attachments), model=spec.display_name)
        for index, attachment in enumerate(attachments):
            # No declared type: the file name is what gets quoted (and it is no image format).
            media_type = (attachment.content_type or attachment.filename).split(";")[0]
            size = (attachment.width, attachment.height) if attachment.width and attachment.height else None
            spec.edit.check_file(media_type, attachment.size, size, field=image_field(index))
    except InvalidOption as refused:
        return refused
    return None


async def run_edit(
    bot: ImagineBot,
    interaction: discord.Interaction[Any],
    spec: ModelSpec,
    attachments: Sequence[Attachment],
    options: EditOptions,
    *,
    action: Action,
    parent_id: str | None = None,
) -> None:
    """Acknowledge, take the images, and start the edit; every problem is answered privately."""
    locale = member_locale(interaction)
    if not interaction.response.is_done():
        await interaction.response.defer(thinking=True)
    assert bot.attachments is not None  # the bot process always has a fetcher
    try:
        images = await take_inputs(bot.attachments, bot.storage.inputs, spec, attachments, now=time.time())
        request = spec.build_edit(options, images, random_seed=bot.random_seed)
    except (InvalidOption, AttachmentUnavailable) as problem:
        await withdraw(interaction, problem.message().render(locale))
        return
    except HostNotAllowed:
        log.warning("edit refused: an attachment URL off Discord's hosts")
        await withdraw(interaction, t("edit.no_images", locale))
        return
    notes = (Note.FLATTENED,) if any(image.flattened for image in images) else ()
    await start_job(interaction, bot.jobs, request, action=action, parent_id=parent_id, notes=notes)
