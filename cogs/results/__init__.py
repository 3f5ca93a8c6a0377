"""Results: ``/show <id>`` re-posts any stored result, and every result button and Remix form acts here."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import InvalidOption
from bot.i18n import t
from bot.images import result_image_number
from bot.jobs.undelivered import undelivered_images
from bot.logs import bind_interaction
from bot.policy import ServerPolicy
from bot.storage import Action, Job, Status
from bot.ui.buttons import FILES_PER_MESSAGE, HANDLER_COG, ButtonAction
from bot.ui.language import command_text, member_locale, public_locale
from bot.ui.layout import extra_actions, result_layout
from bot.ui.remix import FORM_PATTERN, remixed_request, submitted_values
from bot.ui.starting import start_job
from bot.ui.summary import render_repost

from ._buttons import act_on_button, gone_text

if TYPE_CHECKING:
    from bot.client import ImagineBot

log = logging.getLogger(__name__)


class Results(commands.Cog, name=HANDLER_COG):
    """Past results and what their buttons do."""

    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Answer Remix forms from their submitted values (the form object may predate a restart)."""
        if interaction.type is not discord.InteractionType.modal_submit or not isinstance(interaction.data, dict):
            return
        match = FORM_PATTERN.fullmatch(str(interaction.data.get("custom_id", "")))
        if match is not None:
            bind_interaction(interaction)
            await self._submit_remix(interaction, match["id"], submitted_values(interaction.data))

    async def on_result_button(
        self, interaction: discord.Interaction[Any], action: ButtonAction | None, job_id: str, index: int | None
    ) -> None:
        """A press of any result button (see ``bot.ui.buttons``)."""
        bind_interaction(interaction)
        await act_on_button(self.bot, interaction, action, job_id, index)

    async def _submit_remix(self, interaction: discord.Interaction[Any], job_id: str, values: dict[str, str]) -> None:
        """Validate the edited request like the slash command does, then run it as a new job."""
        locale = member_locale(interaction)
        job = await self.bot.storage.jobs.get(job_id)
        if job is None:
            await interaction.response.send_message(gone_text(self.bot.settings.retention_days, locale), ephemeral=True)
            return
        try:
            inputs = await self.bot.storage.inputs.describe(job.request.inputs) if job.request.inputs else []
            request = remixed_request(job, values, self.bot.random_seed, inputs)
        except InvalidOption as error:
            await interaction.response.send_message(error.message().render(locale), ephemeral=True)
            return
        await start_job(interaction, self.bot.jobs, request, action=Action.REMIX, parent_id=job.id)

    @app_commands.command(name="show", description=command_text("command.show.description"))
    @app_commands.describe(result_id=command_text("command.show.id"))
    @app_commands.rename(result_id="id")
    async def show(self, interaction: discord.Interaction[Any], result_id: app_commands.Range[str, 1, 16]) -> None:
        """Post a past result again, with working buttons."""
        locale = member_locale(interaction)
        record = await self.bot.storage.jobs.get(result_id.strip().lower())
        if record is None:
            text = _not_found(result_id, self.bot.settings.retention_days, locale)
            await interaction.response.send_message(text, ephemeral=True)
            return
        status = t(f"job_status.{record.status.value}", locale)
        if record.status in (Status.QUEUED, Status.RUNNING):
            text = t("results.still_open", locale, id=record.id, status=status)
            await interaction.response.send_message(text, ephemeral=True)
            return
        kept = undelivered_images(self.bot.settings.data_dir, record.id)
        if record.status is not Status.DONE and not kept:
            text = t("results.nothing_to_show", locale, id=record.id, status=status)
            await interaction.response.send_message(text, ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        images = [(path.name, path.read_bytes()) for path in kept] or await self._fetch(record)
        if not images:  # the message and its files are gone: make them again from the stored request
            await start_job(interaction, self.bot.jobs, record.request, action=Action.SHOW, parent_id=record.id)
            return
        batches = [images[i : i + FILES_PER_MESSAGE] for i in range(0, len(images), FILES_PER_MESSAGE)]
        public = await self._public_locale(interaction)
        summary = render_repost(record, len(images), shown_by=interaction.user.id, locale=public)
        names = [name for name, _ in batches[0]]
        layout = result_layout(
            record.id, public, summary, names, total=len(images), extra_actions=extra_actions(record)
        )
        await interaction.edit_original_response(
            content=None, attachments=_files(batches[0]), view=layout, allowed_mentions=discord.AllowedMentions.none()
        )
        for number, batch in enumerate(batches[1:], start=2):
            first_index = (number - 1) * FILES_PER_MESSAGE + 1
            text = t("summary.continued", public, number=number, total=len(batches), id=record.id)
            names = [name for name, _ in batch]
            layout = result_layout(record.id, public, text, names, first_index=first_index, total=len(images))
            await interaction.followup.send(files=_files(batch), view=layout)

    async def _public_locale(self, interaction: discord.Interaction[Any]) -> str:
        """The language of a public message in this channel: the server's setting, else its Discord locale."""
        documents = await self.bot.storage.policies.load(interaction.guild_id, interaction.user.id)
        return public_locale(interaction, ServerPolicy.from_dict(documents.policy).language)

    async def _fetch(self, record: Job) -> list[tuple[str, bytes]]:
        """The result's images from its message(s), in order; empty if any are gone."""
        if record.message_id is None:
            return []
        channel = self.bot.get_partial_messageable(record.channel_id)
        found: list[discord.Attachment] = []
        try:
            for message_id in (record.message_id, *record.overflow_message_ids):
                message = await channel.fetch_message(message_id)
                found += [a for a in message.attachments if result_image_number(a.filename, record.id)]
            images = [(a.filename, await a.read()) for a in found]
        except discord.HTTPException as error:
            log.info("result %s: original message unavailable (%s)", record.id, error.status)
            return []
        if len(images) < record.image_count:
            return []  # partly gone: regenerate the whole set rather than show part of it
        return sorted(images, key=lambda item: result_image_number(item[0], record.id) or 0)


def _not_found(result_id: str, retention_days: int | None, locale: str) -> str:
    # Unlike a button's id, a typed one may be mistyped: with retention on, both causes are named.
    shown = discord.utils.escape_markdown(result_id).replace("`", "ˋ")
    if retention_days is None:
        return t("results.not_found", locale, id=shown)
    return t("results.not_found_retention", locale, id=shown, days=retention_days)


def _files(images: list[tuple[str, bytes]]) -> list[discord.File]:
    return [discord.File(io.BytesIO(data), filename=name) for name, data in images]


async def setup(bot: ImagineBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Results(bot))
