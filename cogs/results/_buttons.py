"""What each result button does. Every path answers the interaction, never "interaction failed"."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

import discord

from bot.catalogue import spec_for_model
from bot.gateway.models import ImageSource
from bot.i18n import t
from bot.images import result_image_number
from bot.storage import Action, Job
from bot.ui.buttons import ButtonAction
from bot.ui.info import render_info
from bot.ui.language import member_locale
from bot.ui.remix import RemixModal
from bot.ui.starting import start_job
from bot.ui.status import render_cancelled

if TYPE_CHECKING:
    from bot.client import ImagineBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
EDIT_COG = "Edit"  # the cog whose form Vary region opens


class RegionFormOpener(Protocol):
    """What the Edit cog offers to a result's Vary region button."""

    async def open_region_form(self, interaction: discord.Interaction[Any], job_id: str) -> None:
        """Open the Vary region form for this result."""


def gone_text(retention_days: int | None, locale: str) -> str:
    """Why a button's job is missing. Only retention deletes jobs, so with it on, age is the reason."""
    if retention_days is None:
        return t("results.gone", locale)
    return t("results.gone_retention", locale, days=retention_days)


async def act_on_button(
    bot: ImagineBot, interaction: discord.Interaction[Any], action: ButtonAction | None, job_id: str, index: int | None
) -> None:
    """Dispatch one button press."""
    locale = member_locale(interaction)
    if action is None:
        await interaction.response.send_message(t("results.unknown_button", locale), ephemeral=True)
        return
    job = await bot.storage.jobs.get(job_id)
    if job is None:
        await interaction.response.send_message(gone_text(bot.settings.retention_days, locale), ephemeral=True)
        return
    match action:
        case ButtonAction.CANCEL:
            await _cancel(bot, interaction, job)
        case ButtonAction.SAME_SEED:
            await start_job(interaction, bot.jobs, job.request, action=Action.SAME_SEED, parent_id=job.id)
        case ButtonAction.NEW_SEED:
            request = job.request.with_seed(bot.random_seed())
            await start_job(interaction, bot.jobs, request, action=Action.NEW_SEED, parent_id=job.id)
        case ButtonAction.VARIATION:
            await _variation(bot, interaction, job, index or 1)
        case ButtonAction.REMIX:
            await interaction.response.send_modal(RemixModal(job, locale))  # a modal must be the first response
        case ButtonAction.INFO:
            embed, file = render_info(job, locale)
            await interaction.response.send_message(embed=embed, file=file or discord.utils.MISSING, ephemeral=True)
        case ButtonAction.DELETE:
            await _delete(interaction, job)
        case ButtonAction.VARY_REGION:
            editing: RegionFormOpener | None = bot.get_cog(EDIT_COG)  # type: ignore[assignment]
            if editing is None:
                await interaction.response.send_message(t("button.unavailable", locale), ephemeral=True)
                return
            await editing.open_region_form(interaction, job.id)


async def _cancel(bot: ImagineBot, interaction: discord.Interaction[Any], job: Job) -> None:
    """The requester or a moderator (Manage Messages) may cancel a job that is still waiting."""
    locale = member_locale(interaction)
    if not _requester_or_moderator(interaction, job):
        text = t("results.cancel_not_allowed", locale, user=job.user_id)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        return
    cancelled = await bot.jobs.cancel(job.id)
    if cancelled is None:
        await interaction.response.send_message(t("results.not_waiting", locale), ephemeral=True)
        return
    log.info("job %s cancelled by %s", job.id, interaction.user.id)
    await interaction.response.edit_message(
        content=render_cancelled(cancelled, interaction.user.id), view=None, allowed_mentions=NO_MENTIONS
    )


async def _variation(bot: ImagineBot, interaction: discord.Interaction[Any], job: Job, index: int) -> None:
    message = interaction.message
    attachments = message.attachments if message else []
    attachment = next((a for a in attachments if result_image_number(a.filename, job.id) == index), None)
    if message is None or attachment is None:
        text = t("results.variation_missing", member_locale(interaction), index=index)
        await interaction.response.send_message(text, ephemeral=True)
        return
    spec = spec_for_model(job.request.model)
    source = ImageSource(channel_id=message.channel.id, message_id=message.id, filename=attachment.filename)
    request = spec.variation(job.request, source, seed=bot.random_seed())
    await start_job(interaction, bot.jobs, request, action=Action.VARIATION, parent_id=job.id)


async def _delete(interaction: discord.Interaction[Any], job: Job) -> None:
    locale = member_locale(interaction)
    if not _requester_or_moderator(interaction, job):
        text = t("results.delete_not_allowed", locale, user=job.user_id)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        if interaction.message is not None:
            await interaction.message.delete()
    except discord.NotFound:
        pass
    except discord.HTTPException as error:
        log.warning("could not delete result %s: %s", job.id, error)
        await interaction.followup.send(t("results.delete_failed", locale), ephemeral=True)
        return
    log.info("result %s deleted by %s", job.id, interaction.user.id)
    await interaction.followup.send(t("results.deleted", locale, id=job.id), ephemeral=True)


def _requester_or_moderator(interaction: discord.Interaction[Any], job: Job) -> bool:
    """Whether the presser asked for the job, or may manage messages here."""
    is_moderator = isinstance(interaction.user, discord.Member) and interaction.permissions.manage_messages
    return interaction.user.id == job.user_id or is_moderator
