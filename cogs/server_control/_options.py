"""What `/settings defaults` and `/preferences set` share: the model options and their validation."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import discord
from discord import app_commands

from bot.catalogue import CATALOGUE, QWEN, WAN, Feature, InvalidOption, ModelSpec
from bot.catalogue.sizes import normalize_size
from bot.i18n import Text
from bot.policy import ModelDefaults
from bot.ui.language import command_text

MODEL_CHOICES = [app_commands.Choice(name=spec.display_name, value=spec.key) for spec in CATALOGUE.values()]
MOST_IMAGES = max(max(spec.max_n, spec.max_n_sequential) for spec in CATALOGUE.values())
DESCRIBED = {
    name: command_text(f"command.defaults.{name}")
    for name in ("model", "size", "prompt_rewrite", "thinking", "image_set", "watermark", "clear")
} | {
    "count": command_text(
        "command.defaults.count",
        counts=Text("command.defaults.counts", {"qwen": QWEN.max_n, "wan": WAN.max_n, "wan_set": WAN.max_n_sequential}),
    )
}
# Option name -> the model feature it needs (options every model has are not listed).
_NEEDS = {"prompt_rewrite": Feature.PROMPT_EXTEND, "thinking": Feature.THINKING_MODE, "image_set": Feature.SEQUENTIAL}


class ChannelOption(app_commands.Transformer[Any]):
    """A channel members can post in (text, voice, stage or forum) or a thread, as Discord resolved it."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        kinds = discord.ChannelType
        return [kinds.text, kinds.news, kinds.voice, kinds.stage_voice, kinds.forum,
                kinds.public_thread, kinds.private_thread, kinds.news_thread]  # fmt: skip

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> PickedChannel:
        if not isinstance(value, app_commands.AppCommandChannel | app_commands.AppCommandThread):
            raise app_commands.TransformerError(value, self.type, self)
        return value


PickedChannel = app_commands.AppCommandChannel | app_commands.AppCommandThread
ChannelParameter = app_commands.Transform[PickedChannel, ChannelOption]


@dataclass(frozen=True, slots=True)
class GivenDefaults:
    """The model options a command received, named as the command names them (``None``: not given)."""

    size: str | None = None
    count: int | None = None
    prompt_rewrite: bool | None = None
    thinking: bool | None = None
    image_set: bool | None = None
    watermark: bool | None = None

    def is_empty(self) -> bool:
        """Whether no option was given."""
        return all(getattr(self, f.name) is None for f in fields(self))


def merged_defaults(spec: ModelSpec, current: ModelDefaults | None, given: GivenDefaults) -> ModelDefaults:
    """``current`` with the given options changed (the rest kept), checked against the model's rules.

    Raises :class:`InvalidOption` naming the option: one the model does not have, a value outside
    its range, or a combination it refuses (thinking or a large size with image-set mode).
    """
    for option, feature in _NEEDS.items():
        if getattr(given, option) is not None and not spec.supports(feature):
            raise InvalidOption(
                option, Text("rule.not_an_option", {"model": spec.display_name}), getattr(given, option)
            )
    size = None
    if given.size is not None:
        size = normalize_size(given.size, spec.sizes, ratio_sizes=spec.ratio_sizes)
    changes = ModelDefaults(
        size=size,
        count=given.count,
        prompt_extend=given.prompt_rewrite,
        thinking_mode=given.thinking,
        sequential=given.image_set,
        watermark=given.watermark,
    )
    merged = (current or ModelDefaults()).overlay(changes)
    _check_combination(spec, merged)
    return merged


def _check_combination(spec: ModelSpec, defaults: ModelDefaults) -> None:
    if defaults.sequential:
        if defaults.thinking_mode:
            raise InvalidOption("thinking", Text("rule.thinking.not_in_image_set"), True)
        if defaults.size is not None and spec.sequential_sizes is not None:
            normalize_size(defaults.size, spec.sequential_sizes, ratio_sizes={}, image_set=True)
    if defaults.count is not None:
        spec.check_count(defaults.count, sequential=bool(defaults.sequential))


async def reply(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer privately, with mentions shown but never pinging."""
    await interaction.response.send_message(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
