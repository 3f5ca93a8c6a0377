"""Size autocomplete: the model's presets and aspect ratios, plus whatever valid size is typed."""

from __future__ import annotations

from discord import app_commands

from bot.catalogue import InvalidOption, ModelSpec
from bot.catalogue.sizes import dimensions, normalize_size
from bot.i18n import t

MAX_CHOICES = 25  # Discord's limit


def size_choices(spec: ModelSpec, current: str, locale: str) -> list[app_commands.Choice[str]]:
    """Choices for what the user has typed so far in ``size``."""
    typed = current.strip()
    choices: list[app_commands.Choice[str]] = []
    if typed:
        try:
            wire = normalize_size(typed, spec.sizes, ratio_sizes=spec.ratio_sizes)
        except InvalidOption:
            pass
        else:
            width, height = dimensions(wire, spec.sizes.presets)
            choices.append(
                app_commands.Choice(name=t("autocomplete.as_typed", locale, width=width, height=height), value=wire)
            )
    needle = typed.casefold().replace("x", "×").replace("*", "×")
    for suggestion in spec.size_suggestions():
        if needle in suggestion.label.casefold() and all(c.value != suggestion.value for c in choices):
            choices.append(app_commands.Choice(name=suggestion.label, value=suggestion.value))
    return choices[:MAX_CHOICES]
