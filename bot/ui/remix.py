"""✏️ Remix: a modal pre-filled with the job's prompt, seed and size; submitting runs the edit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import discord
from discord import ui

from bot.catalogue import SEED_MAX, Feature, ImagineOptions, InvalidOption, spec_for_model
from bot.gateway.models import GenerationRequest
from bot.storage import Action, Generation

if TYPE_CHECKING:
    from bot.client import ImagineBot

TEXT_INPUT_MAX = 4000  # Discord's limit for one text input


class RemixModal(ui.Modal):
    """Edit prompt, seed, size (and negative prompt for qwen), then run it as a new job."""

    def __init__(self, record: Generation) -> None:
        super().__init__(title="Remix", custom_id=f"img:remixform:{record.id}", timeout=None)
        self.record = record
        request = record.request
        spec = spec_for_model(request.model)
        self.prompt: ui.TextInput[RemixModal] = ui.TextInput(
            label="Prompt", style=discord.TextStyle.paragraph, default=request.prompt[:TEXT_INPUT_MAX],
            max_length=min(spec.prompt_max, TEXT_INPUT_MAX),
        )  # fmt: skip
        self.seed: ui.TextInput[RemixModal] = ui.TextInput(
            label="Seed (empty for a random one)", default=str(request.seed), required=False, max_length=10
        )
        self.size: ui.TextInput[RemixModal] = ui.TextInput(
            label="Size (W*H, a ratio like 16:9, or a preset)", default=request.size, max_length=20
        )
        self.negative: ui.TextInput[RemixModal] | None = None
        for item in (self.prompt, self.seed, self.size):
            self.add_item(item)
        if spec.supports(Feature.NEGATIVE_PROMPT):
            self.negative = ui.TextInput(
                label="Negative prompt", style=discord.TextStyle.paragraph, required=False,
                default=request.negative_prompt or "", max_length=spec.negative_prompt_max,
            )  # fmt: skip
            self.add_item(self.negative)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        bot = cast("ImagineBot", interaction.client)
        spec = spec_for_model(self.record.request.model)
        try:
            seed = _seed(self.seed.value)
            options = options_from(self.record.request, prompt=self.prompt.value, size=self.size.value, seed=seed,
                                   negative_prompt=self.negative.value if self.negative else None)  # fmt: skip
            request = spec.build_request(options, random_seed=bot.random_seed)
        except InvalidOption as error:
            await interaction.response.send_message(error.user_message, ephemeral=True)
            return
        await bot.jobs.submit(interaction, request, action=Action.REMIX, parent_id=self.record.id)


def options_from(
    request: GenerationRequest, *, prompt: str, size: str, seed: int | None, negative_prompt: str | None
) -> ImagineOptions:
    """The stored request as slash-command options, with the modal's edits applied."""
    palette = ", ".join(f"{c.hex} {c.ratio}" for c in request.color_palette) if request.color_palette else None
    return ImagineOptions(
        prompt=prompt, size=size, n=request.n, seed=seed, negative_prompt=negative_prompt or None,
        prompt_extend=request.prompt_extend, watermark=request.watermark,
        thinking_mode=request.thinking_mode if not request.enable_sequential else None,
        sequential=request.enable_sequential, palette=palette,
    )  # fmt: skip


def _seed(text: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    if not value.isdigit() or int(value) > SEED_MAX:
        raise InvalidOption("seed", f"must be a whole number from 0 to {SEED_MAX}, or empty for a random one", text)
    return int(value)
