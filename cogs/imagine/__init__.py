"""``/imagine qwen`` and ``/imagine wan``: one subcommand per model, its own fields as options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import QWEN, SEED_MAX, WAN, ImagineOptions, InvalidOption, ModelSpec
from bot.catalogue.palette import MAX_COLORS
from bot.policy import MemberPreferences, ServerPolicy, apply_defaults
from bot.storage import Action
from bot.ui.buttons import PERSISTENT_ITEMS
from bot.ui.members import parent_channel_id
from bot.ui.starting import start_job

from ._autocomplete import size_choices

if TYPE_CHECKING:
    from bot.client import ImagineBot

_SHARED = {
    "prompt": "What to draw",
    "size": "W*H (e.g. 1024*768), an aspect ratio like 16:9, or a preset",
    "watermark": "Add the model's watermark (default: off)",
    "seed": f"0–{SEED_MAX}; same seed + same settings ≈ same image (default: random)",
}


class Imagine(commands.Cog):
    """Text-to-image generation."""

    imagine = app_commands.Group(name="imagine", description="Generate images from a text prompt")

    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*PERSISTENT_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*PERSISTENT_ITEMS)

    @imagine.command(name="qwen")
    @app_commands.describe(
        **_SHARED,
        negative_prompt="What to keep out of the image",
        count=f"How many images (1–{QWEN.max_n}, default 1)",
        prompt_rewrite="Let the model rewrite your prompt for more detail (default: on)",
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
        """Generate images with Qwen Image 2.0 Pro."""
        options = ImagineOptions(
            prompt=prompt, negative_prompt=negative_prompt, size=size, n=count,
            prompt_extend=prompt_rewrite, watermark=watermark, seed=seed,
        )  # fmt: skip
        await self._start(interaction, QWEN, options)

    @imagine.command(name="wan")
    @app_commands.describe(
        **_SHARED,
        count=f"How many images (1–{WAN.max_n}; up to {WAN.max_n_sequential} in image-set mode)",
        thinking="Think before drawing: slower, better (default: on; not in image-set mode)",
        image_set="Image-set mode: a coherent series of images (default: off)",
        palette=f"3–{MAX_COLORS} colours with optional ratios: #1B2A41 30, #324A5F 25, #CCC5B9 45",
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
        """Generate images with Wan 2.7 Image Pro."""
        options = ImagineOptions(
            prompt=prompt, size=size, n=count, thinking_mode=thinking, sequential=image_set,
            palette=palette, watermark=watermark, seed=seed,
        )  # fmt: skip
        await self._start(interaction, WAN, options)

    @qwen.autocomplete("size")
    async def _qwen_size(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return size_choices(QWEN, current)

    @wan.autocomplete("size")
    async def _wan_size(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return size_choices(WAN, current)

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
            await interaction.response.send_message(error.user_message, ephemeral=True)
            return
        await start_job(interaction, self.bot.jobs, request, action=Action.IMAGINE, documents=documents)


async def setup(bot: ImagineBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Imagine(bot))
