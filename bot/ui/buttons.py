"""Persistent result buttons. The custom_id holds an action and a short job id, never the prompt.

One ``DynamicItem`` class matches every button by template, so buttons keep working after
restarts for as long as the job is stored. This module is only their look: what a press does
lives with the cog that registers itself as the :data:`HANDLER_COG` (``interaction.client.get_cog``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import discord
from discord import ui

from bot.i18n import DEFAULT_LOCALE, t

from .language import member_locale

TEMPLATE = r"img:(?P<action>[a-z]+):(?P<id>[0-9a-z]{1,16})(?::(?P<index>[0-9]{1,2}))?"
ROW_WIDTH = 5  # Discord: five buttons per action row
FILES_PER_MESSAGE = 10
HANDLER_COG = "Results"  # the cog that acts on presses


class ButtonAction(StrEnum):
    """What a result button does (the word in its custom_id)."""

    SAME_SEED = "same"
    NEW_SEED = "new"
    REMIX = "remix"
    INFO = "info"
    DELETE = "delete"
    CANCEL = "cancel"
    VARIATION = "var"
    VARY_REGION = "region"  # wan: change one part of an image


class ButtonHandler(Protocol):
    """What the handling cog offers."""

    async def on_result_button(
        self, interaction: discord.Interaction[Any], action: ButtonAction | None, job_id: str, index: int | None
    ) -> None:
        """Act on a press; ``action`` is ``None`` for an action this version does not know."""


@dataclass(frozen=True, slots=True)
class Look:
    label_key: str | None  # the catalogue key of its label; None: a label that is not words
    emoji: str | None
    style: discord.ButtonStyle


LOOKS: dict[str, Look] = {
    ButtonAction.SAME_SEED: Look("button.same_seed", "🔁", discord.ButtonStyle.secondary),
    ButtonAction.NEW_SEED: Look("button.new_seed", "🎲", discord.ButtonStyle.secondary),
    ButtonAction.REMIX: Look("button.remix", "✏️", discord.ButtonStyle.secondary),
    ButtonAction.INFO: Look("button.info", "ℹ️", discord.ButtonStyle.secondary),
    ButtonAction.DELETE: Look("button.delete", "🗑️", discord.ButtonStyle.secondary),
    ButtonAction.CANCEL: Look("button.cancel", "✖️", discord.ButtonStyle.danger),
    ButtonAction.VARIATION: Look(None, None, discord.ButtonStyle.primary),
    ButtonAction.VARY_REGION: Look("button.vary_region", "🎯", discord.ButtonStyle.secondary),
}
_UNKNOWN = Look(None, None, discord.ButtonStyle.secondary)  # an action from another version of the bot


class ResultButton(ui.DynamicItem[ui.Button[Any]], template=TEMPLATE):
    """Any button under a job's message: ``img:<action>:<id>[:<image index>]``."""

    def __init__(
        self, action: str, job_id: str, index: int | None = None, *, locale: str = DEFAULT_LOCALE, label: str = ""
    ) -> None:
        self.action = action
        self.job_id = job_id
        self.index = index
        look = LOOKS.get(action, _UNKNOWN)
        custom_id = f"img:{action}:{job_id}" + (f":{index}" if index is not None else "")
        if not label:
            label = t(look.label_key, locale) if look.label_key else f"V{index}" if index is not None else "?"
        super().__init__(ui.Button(label=label, emoji=look.emoji, style=look.style, custom_id=custom_id))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> ResultButton:
        return cls(match["action"], match["id"], int(match["index"]) if match["index"] else None)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler: ButtonHandler | None = interaction.client.get_cog(HANDLER_COG)
        known = self.action in ButtonAction.__members__.values()
        if handler is None:
            text = t("button.unavailable", member_locale(interaction))
            await interaction.response.send_message(text, ephemeral=True)
            return
        await handler.on_result_button(
            interaction, ButtonAction(self.action) if known else None, self.job_id, self.index
        )


PERSISTENT_ITEMS: tuple[type[ui.DynamicItem[Any]], ...] = (ResultButton,)


def _rows(view: ui.View, buttons: list[ResultButton]) -> ui.View:
    for position, button in enumerate(buttons):
        button.row = min(position // ROW_WIDTH, 4)
        view.add_item(button)
    return view


def cancel_view(job_id: str, locale: str) -> ui.View:
    """The Cancel button under a queued job's status."""
    return _rows(ui.View(timeout=None), [ResultButton(ButtonAction.CANCEL, job_id, locale=locale)])


def failure_view(job_id: str, locale: str) -> ui.View:
    """Under a failure a retry can help with: Retry (the same request) and a fresh seed."""
    buttons = [
        ResultButton(ButtonAction.SAME_SEED, job_id, label=t("button.retry", locale)),
        ResultButton(ButtonAction.NEW_SEED, job_id, locale=locale),
        ResultButton(ButtonAction.INFO, job_id, locale=locale),
    ]
    return _rows(ui.View(timeout=None), buttons)
