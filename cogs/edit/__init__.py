"""``/edit qwen``, ``/edit wan`` and "Edit image" on any message: change members' own pictures.

The forms (the context menu's, and Vary region's on wan results) are answered here from their
submitted values, so a form opened before a restart still works after it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import (
    CATALOGUE,
    QWEN,
    SAME_AS_INPUT,
    SEED_MAX,
    WAN,
    EditOptions,
    ModelSpec,
    Region,
    spec_for_model,
)
from bot.i18n import t
from bot.images import result_image_number
from bot.inputs import Attachment
from bot.logs import bind_interaction
from bot.storage import Action
from bot.ui.edit_forms import EDIT_FORM_PATTERN, REGION_FORM_PATTERN, edit_form, region_form
from bot.ui.language import command_text, member_locale
from bot.ui.modal_values import form_values

from ._flow import check_declared, run_edit
from ._options import edit_size_choices, image_attachments

if TYPE_CHECKING:
    from bot.client import ImagineBot

log = logging.getLogger(__name__)


def _describe(spec: ModelSpec, extra_images: int) -> dict[str, app_commands.locale_str]:
    formats, mib = spec.edit.format_labels, spec.edit.max_bytes // (1024 * 1024)
    described = {
        "image": command_text("command.edit.image", formats=formats, mib=mib),
        "instruction": command_text("command.edit.instruction"),
        "size": command_text("command.edit.size"),
        "count": command_text("command.edit.count", max=spec.edit.max_n),
        "negative_prompt": command_text("command.option.negative_prompt"),
        "watermark": command_text("command.option.watermark"),
        "seed": command_text("command.option.seed", max=SEED_MAX),
    }
    return described | {f"image{n}": command_text("command.edit.image_more") for n in range(2, extra_images + 2)}


class Edit(commands.Cog):
    """Editing members' images."""

    edit = app_commands.Group(name="edit", description=command_text("command.edit.description"))

    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(
            name=command_text("command.edit_image.name"), callback=self.edit_message_image
        )

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    @edit.command(name="qwen", description=command_text("command.edit.qwen", max=QWEN.edit.max_images))
    @app_commands.describe(**_describe(QWEN, 2), prompt_rewrite=command_text("command.option.prompt_rewrite"))
    async def qwen(
        self,
        interaction: discord.Interaction[Any],
        image: discord.Attachment,
        instruction: app_commands.Range[str, 1, QWEN.edit.instruction_max],
        image2: discord.Attachment | None = None,
        image3: discord.Attachment | None = None,
        size: app_commands.Range[str, 1, 20] | None = None,
        count: app_commands.Range[int, 1, QWEN.edit.max_n] | None = None,
        negative_prompt: app_commands.Range[str, 1, QWEN.edit.negative_prompt_max] | None = None,
        prompt_rewrite: bool | None = None,
        watermark: bool | None = None,
        seed: app_commands.Range[int, 0, SEED_MAX] | None = None,
    ) -> None:
        """Edit images with Qwen Image 2.0 Pro (the description comes from the catalogue)."""
        options = EditOptions(instruction, size=size, n=count, seed=seed, negative_prompt=negative_prompt)
        options = replace(options, prompt_extend=prompt_rewrite, watermark=watermark)
        await self._start(interaction, QWEN, image_attachments(image, image2, image3), options)

    @edit.command(name="wan", description=command_text("command.edit.wan", max=WAN.edit.max_images))
    @app_commands.describe(**_describe(WAN, 8))
    async def wan(
        self,
        interaction: discord.Interaction[Any],
        image: discord.Attachment,
        instruction: app_commands.Range[str, 1, WAN.edit.instruction_max],
        image2: discord.Attachment | None = None,
        image3: discord.Attachment | None = None,
        image4: discord.Attachment | None = None,
        image5: discord.Attachment | None = None,
        image6: discord.Attachment | None = None,
        image7: discord.Attachment | None = None,
        image8: discord.Attachment | None = None,
        image9: discord.Attachment | None = None,
        size: app_commands.Range[str, 1, 20] | None = None,
        count: app_commands.Range[int, 1, WAN.edit.max_n] | None = None,
        negative_prompt: app_commands.Range[str, 1, WAN.edit.negative_prompt_max] | None = None,
        watermark: bool | None = None,
        seed: app_commands.Range[int, 0, SEED_MAX] | None = None,
    ) -> None:
        """Edit images with Wan 2.7 Image Pro (the description comes from the catalogue)."""
        images = image_attachments(image, image2, image3, image4, image5, image6, image7, image8, image9)
        options = EditOptions(
            instruction, size=size, n=count, seed=seed, negative_prompt=negative_prompt, watermark=watermark
        )
        await self._start(interaction, WAN, images, options)

    @qwen.autocomplete("size")
    async def _qwen_size(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return edit_size_choices(QWEN, current, member_locale(interaction))

    @wan.autocomplete("size")
    async def _wan_size(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return edit_size_choices(WAN, current, member_locale(interaction))

    async def _start(
        self,
        interaction: discord.Interaction[Any],
        spec: ModelSpec,
        attachments: list[discord.Attachment],
        options: EditOptions,
    ) -> None:
        """Refuse at once what Discord's own description of the files already breaks; else run the edit."""
        refused = check_declared(spec, attachments)
        if refused is not None:
            text = refused.message().render(member_locale(interaction))
            await interaction.response.send_message(text, ephemeral=True)
            return
        taken = [Attachment(a.url, a.filename) for a in attachments]
        await run_edit(self.bot, interaction, spec, taken, options, action=Action.EDIT)

    # -- "Edit image" on a message, and the forms ------------------------------------------------

    async def edit_message_image(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """Open the form for an edit of this message's images (a modal must be the first response)."""
        names = [a.filename for a in _images_of(message)]
        if not names:
            await interaction.response.send_message(t("edit.no_images", member_locale(interaction)), ephemeral=True)
            return
        await interaction.response.send_modal(edit_form(message.id, names, member_locale(interaction)))

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Answer the edit forms from their submitted values (the form object may predate a restart)."""
        if interaction.type is not discord.InteractionType.modal_submit or not isinstance(interaction.data, dict):
            return
        custom_id = str(interaction.data.get("custom_id", ""))
        if (match := EDIT_FORM_PATTERN.fullmatch(custom_id)) is not None:
            bind_interaction(interaction)
            await self._submit_edit(interaction, int(match["message"]), form_values(interaction.data))
        elif (match := REGION_FORM_PATTERN.fullmatch(custom_id)) is not None:
            bind_interaction(interaction)
            await self._submit_region(interaction, match["id"], form_values(interaction.data))

    async def _submit_edit(
        self, interaction: discord.Interaction[Any], message_id: int, values: dict[str, list[str]]
    ) -> None:
        locale = member_locale(interaction)
        spec = CATALOGUE.get(_first(values, "model"), CATALOGUE[next(iter(CATALOGUE))])
        message = await self._message(interaction.channel_id, message_id)
        images = _images_of(message) if message is not None else []
        if message is None or not images:
            key = "edit.message_gone" if message is None else "edit.no_images"
            await interaction.response.send_message(t(key, locale), ephemeral=True)
            return
        picked = {int(n) for n in values.get("images", ["1"]) if n.isdigit() and 1 <= int(n) <= len(images)}
        chosen = [images[n - 1] for n in sorted(picked)]  # in the message's order, however they were picked
        refused = check_declared(spec, chosen)
        if refused is not None:
            await interaction.response.send_message(refused.message().render(locale), ephemeral=True)
            return
        options = EditOptions(_first(values, "instruction"), size=SAME_AS_INPUT)
        taken = [Attachment(a.url, a.filename) for a in chosen]
        await run_edit(self.bot, interaction, spec, taken, options, action=Action.EDIT)

    async def _submit_region(
        self, interaction: discord.Interaction[Any], job_id: str, values: dict[str, list[str]]
    ) -> None:
        locale = member_locale(interaction)
        job = await self.bot.storage.jobs.get(job_id)
        message = interaction.message
        images = _result_images(message, job_id)
        if job is None or not images:
            await interaction.response.send_message(t("results.gone", locale), ephemeral=True)
            return
        number = _first(values, "image") or "1"
        image = images[int(number) - 1] if number.isdigit() and 1 <= int(number) <= len(images) else images[0]
        spec = spec_for_model(job.request.model)
        picked = _first(values, "region")
        region = Region(picked) if picked in {r.value for r in Region} else Region.CENTRE
        instruction = _first(values, "instruction")
        options = EditOptions(instruction, size=SAME_AS_INPUT, watermark=job.request.watermark, region=region)
        taken = [Attachment(image.url, image.filename)]
        await run_edit(self.bot, interaction, spec, taken, options, action=Action.VARY_REGION, parent_id=job.id)

    async def open_region_form(self, interaction: discord.Interaction[Any], job_id: str) -> None:
        """Vary region pressed on a result: the form, naming this message's images."""
        message = interaction.message
        names = [a.filename for a in _result_images(message, job_id)]
        if not names:
            text = t("results.variation_missing", member_locale(interaction), index=1)
            await interaction.response.send_message(text, ephemeral=True)
            return
        await interaction.response.send_modal(region_form(job_id, names, member_locale(interaction)))

    async def _message(self, channel_id: int | None, message_id: int) -> discord.Message | None:
        if channel_id is None:
            return None
        try:
            return await self.bot.get_partial_messageable(channel_id).fetch_message(message_id)
        except discord.HTTPException as error:
            log.info("edit: message %s unavailable (%s)", message_id, error.status)
            return None


def _images_of(message: discord.Message | None) -> list[discord.Attachment]:
    """The message's attachments that are images, in order."""
    if message is None:
        return []
    return [a for a in message.attachments if (a.content_type or "").startswith("image/")]


def _result_images(message: discord.Message | None, job_id: str) -> list[discord.Attachment]:
    """The images of job ``job_id`` on ``message`` (a result card), in order."""
    return [a for a in _images_of(message) if result_image_number(a.filename, job_id)]


def _first(values: dict[str, list[str]], name: str) -> str:
    return (values.get(name) or [""])[0]


async def setup(bot: ImagineBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Edit(bot))
