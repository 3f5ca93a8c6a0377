"""``/imagine qwen`` and ``/imagine wan``: one subcommand per model, its own fields as options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import QWEN, SEED_MAX, WAN, ImagineOptions, InvalidOption, ModelSpec
from bot.catalogue.palette import MAX_COLORS, MIN_COLORS
from bot.policy import MemberPreferences, ServerPolicy, apply_defaults
from bot.storage import Action
from bot.ui.buttons import PERSISTENT_ITEMS
from bot.ui.language import command_text, member_locale
from bot.ui.members import parent_channel_id
from bot.ui.starting import start_job

from ._autocomplete import size_choices

if TYPE_CHECKING:
    from bot.client import ImagineBot

_SHARED = {
    "prompt": command_text("command.option.prompt"),
    "size": command_text("command.option.size"),
    "watermark": command_text("command.option.watermark"),
    "seed": command_text("command.option.seed", max=SEED_MAX),
}


class Imagine(commands.Cog):
    """Text-to-image generation."""

    imagine = app_commands.Group(name="imagine", description=command_text("command.imagine.description"))

    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*PERSISTENT_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*PERSISTENT_ITEMS)

    @imagine.command(name="qwen", description=command_text("command.imagine.qwen"))
    @app_commands.describe(
        **_SHARED,
        negative_prompt=command_text("command.option.negative_prompt"),
        count=command_text("command.option.count_qwen", max=QWEN.max_n),
        prompt_rewrite=command_text("command.option.prompt_rewrite"),
    )
    async def qwen(
        self,
        interaction: discord.Interaction[Any],
        prompt: app_commands.Range[str, 1, QWEN.prompt_max],
        negative_prompt: app_commands.Range[str, 1, QWEN.negative_prompt_max] | None = None,
        size: str | None = None,
        count: app_commands.Range[int, 1, QWEN.max_n] | None = None,
        prompt_rewrite: bool | None = None,
        watermark: bool | None = None,
        seed: app_commands.Range[int, 0, SEED_MAX] | None = None,
    ) -> None:
        """Generate images with Qwen Image 2.0 Pro (the description comes from the catalogue)."""
        options = ImagineOptions(
            prompt=prompt, negative_prompt=negative_prompt, size=size, n=count,
            prompt_extend=prompt_rewrite, watermark=watermark, seed=seed,
        )  # fmt: skip
        await self._start(interaction, QWEN, options)

    @imagine.command(name="wan", description=command_text("command.imagine.wan"))
    @app_commands.describe(
        **_SHARED,
        count=command_text("command.option.count_wan", max=WAN.max_n, image_set_max=WAN.max_n_sequential),
        thinking=command_text("command.option.thinking"),
        image_set=command_text("command.option.image_set"),
        palette=command_text("command.option.palette", min=MIN_COLORS, max=MAX_COLORS),
    )
    async def wan(
        self,
        interaction: discord.Interaction[Any],
        prompt: app_commands.Range[str, 1, WAN.prompt_max],
        size: str | None = None,
        count: app_commands.Range[int, 1, WAN.max_n_sequential] | None = None,
        thinking: bool | None = None,
        image_set: bool | None = None,
        palette: app_commands.Range[str, 1, 200] | None = None,
        watermark: bool | None = None,
        seed: app_commands.Range[int, 0, SEED_MAX] | None = None,
    ) -> None:
        """Generate images with Wan 2.7 Image Pro (the description comes from the catalogue)."""
        options = ImagineOptions(
            prompt=prompt, size=size, n=count, thinking_mode=thinking, sequential=image_set,
            palette=palette, watermark=watermark, seed=seed,
        )  # fmt: skip
        await self._start(interaction, WAN, options)

    @qwen.autocomplete("size")
    async def _qwen_size(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return size_choices(QWEN, current, member_locale(interaction))

    @wan.autocomplete("size")
    async def _wan_size(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return size_choices(WAN, current, member_locale(interaction))

    async def _start(self, interaction: discord.Interaction[Any], spec: ModelSpec, options: ImagineOptions) -> None:
        """Fill in the defaults, validate, and hand the job over. Invalid input never reaches the gateway.

        What the member left out comes from their preference, then the channel's and the server's
        defaults, then the model's own (one database read, which admission reuses).
        """
        documents = await self.bot.storage.policies.load(interaction.guild_id, interaction.user.id)
        policy = ServerPolicy.from_dict(documents.policy)
        parent = parent_channel_id(interaction)
        options = apply_defaults(
            spec.key,
            options,
            server=policy.server_defaults(spec.key),
            channel=policy.channel_defaults_for(spec.key, interaction.channel_id or 0, parent),
            preference=MemberPreferences.from_dict(documents.preferences).for_model(spec.key),
        )
        try:
            request = spec.build_request(options, random_seed=self.bot.random_seed)
        except InvalidOption as error:
            await interaction.response.send_message(error.message().render(member_locale(interaction)), ephemeral=True)
            return
        await start_job(interaction, self.bot.jobs, request, action=Action.IMAGINE, documents=documents)


async def setup(bot: ImagineBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Imagine(bot))
