"""What each result button does. Every path answers the interaction, never "interaction failed"."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.catalogue import spec_for_model
from bot.gateway.models import ImageSource
from bot.storage import Action, Generation

from .info import render_info
from .remix import RemixModal

if TYPE_CHECKING:
    from bot.client import ImagineBot

log = logging.getLogger(__name__)

GONE = "🗑️ That result is no longer stored, so this button can't act on it. Start a new one with `/imagine`."


async def handle(interaction: discord.Interaction[Any], action: str, generation_id: str, index: int | None) -> None:
    """Dispatch one button press."""
    bot = cast("ImagineBot", interaction.client)
    if action == "cancel":
        await bot.jobs.cancel(interaction, generation_id)
        return
    record = await bot.storage.get_generation(generation_id)
    if record is None:
        await interaction.response.send_message(GONE, ephemeral=True)
        return
    match action:
        case "same":
            await bot.jobs.submit(interaction, record.request, action=Action.SAME_SEED, parent_id=record.id)
        case "new":
            request = record.request.with_seed(bot.random_seed())
            await bot.jobs.submit(interaction, request, action=Action.NEW_SEED, parent_id=record.id)
        case "var":
            await _variation(bot, interaction, record, index or 1)
        case "remix":
            await interaction.response.send_modal(RemixModal(record))  # a modal must be the first response
        case "info":
            embed, file = render_info(record)
            await interaction.response.send_message(embed=embed, file=file or discord.utils.MISSING, ephemeral=True)
        case "delete":
            await _delete(interaction, record)
        case _:
            await interaction.response.send_message(
                "This button comes from a newer or older version of the bot and does nothing now.", ephemeral=True
            )


async def _variation(bot: ImagineBot, interaction: discord.Interaction[Any], record: Generation, index: int) -> None:
    message = interaction.message
    prefix = f"{record.id}_{index}."
    attachment = next((a for a in message.attachments if a.filename.startswith(prefix)), None) if message else None
    if message is None or attachment is None:
        await interaction.response.send_message(
            f"Image {index} is not on this message any more, so there is nothing to vary.", ephemeral=True
        )
        return
    spec = spec_for_model(record.request.model)
    source = ImageSource(channel_id=message.channel.id, message_id=message.id, filename=attachment.filename)
    request = spec.variation(record.request, source, seed=bot.random_seed())
    await bot.jobs.submit(interaction, request, action=Action.VARIATION, parent_id=record.id)


async def _delete(interaction: discord.Interaction[Any], record: Generation) -> None:
    is_moderator = isinstance(interaction.user, discord.Member) and interaction.permissions.manage_messages
    if interaction.user.id != record.user_id and not is_moderator:
        await interaction.response.send_message(
            f"Only <@{record.user_id}> (who asked for it) or a moderator (Manage Messages) can delete this.",
            ephemeral=True, allowed_mentions=discord.AllowedMentions.none(),
        )  # fmt: skip
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        if interaction.message is not None:
            await interaction.message.delete()
    except discord.NotFound:
        pass
    except discord.HTTPException as error:
        log.warning("could not delete result %s: %s", record.id, error)
        await interaction.followup.send("I couldn't delete that message (missing permission?).", ephemeral=True)
        return
    log.info("result %s deleted by %s", record.id, interaction.user.id)
    await interaction.followup.send(f"🗑️ Deleted. The settings stay available with `/show {record.id}`.", ephemeral=True)
