"""The /edit commands' option helpers: the images given, and the size autocomplete."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.catalogue import SAME_AS_INPUT, InvalidOption, ModelSpec
from bot.catalogue.sizes import normalize_size
from bot.i18n import t

MAX_CHOICES = 25  # Discord's limit


def image_attachments(*given: discord.Attachment | None) -> list[discord.Attachment]:
    """The image options the member filled in, in option order (``image2`` may be left out before ``image3``)."""
    return [attachment for attachment in given if attachment is not None]


def edit_size_choices(spec: ModelSpec, current: str, locale: str) -> list[app_commands.Choice[str]]:
    """ "Same as input" first, then the edit endpoint's presets and the aspect ratios, filtered by what is typed."""
    choices = [app_commands.Choice(name=t("edit.size.same_as_input", locale), value=SAME_AS_INPUT)]
    choices += [app_commands.Choice(name=name, value=name) for name in spec.edit.sizes.presets]
    for ratio, wire in spec.ratio_sizes.items():
        try:
            normalize_size(wire, spec.edit.sizes, ratio_sizes={})
        except InvalidOption:
            continue  # a suggested size the edit endpoint does not take
        choices.append(app_commands.Choice(name=f"{ratio} — {wire.replace('*', '×')}", value=wire))
    typed = current.strip().casefold()
    return [c for c in choices if typed in c.name.casefold() or typed in c.value.casefold()][:MAX_CHOICES]
