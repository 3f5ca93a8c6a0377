"""Persistent result buttons. The custom_id holds an action and a short record id, never the prompt.

One ``DynamicItem`` class matches every button by template, so buttons keep working after
restarts for as long as the record exists. What each action does lives in ``bot.ui.actions``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord
from discord import ui

TEMPLATE = r"img:(?P<action>[a-z]+):(?P<id>[0-9a-z]{1,16})(?::(?P<index>[0-9]{1,2}))?"
ROW_WIDTH = 5  # Discord: five buttons per action row
FILES_PER_MESSAGE = 10


@dataclass(frozen=True, slots=True)
class Look:
    label: str
    emoji: str | None
    style: discord.ButtonStyle


LOOKS = {
    "same": Look("Same seed", "🔁", discord.ButtonStyle.secondary),
    "new": Look("New seed", "🎲", discord.ButtonStyle.secondary),
    "remix": Look("Remix", "✏️", discord.ButtonStyle.secondary),
    "info": Look("Info", "ℹ️", discord.ButtonStyle.secondary),
    "delete": Look("Delete", "🗑️", discord.ButtonStyle.secondary),
    "cancel": Look("Cancel", "✖️", discord.ButtonStyle.danger),
    "var": Look("V", None, discord.ButtonStyle.primary),
}
_UNKNOWN = Look("?", None, discord.ButtonStyle.secondary)  # an action from another version of the bot


class ResultButton(ui.DynamicItem[ui.Button[Any]], template=TEMPLATE):
    """Any button under a job's message: ``img:<action>:<id>[:<image index>]``."""

    def __init__(self, action: str, generation_id: str, index: int | None = None, *, label: str | None = None) -> None:
        self.action = action
        self.generation_id = generation_id
        self.index = index
        look = LOOKS.get(action, _UNKNOWN)
        custom_id = f"img:{action}:{generation_id}" + (f":{index}" if index is not None else "")
        text = label or (f"V{index}" if action == "var" else look.label)
        super().__init__(ui.Button(label=text, emoji=look.emoji, style=look.style, custom_id=custom_id))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> ResultButton:
        return cls(match["action"], match["id"], int(match["index"]) if match["index"] else None)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        from bot.ui import actions  # the actions need the bot; the bot needs these views

        await actions.handle(interaction, self.action, self.generation_id, self.index)


PERSISTENT_ITEMS: tuple[type[ui.DynamicItem[Any]], ...] = (ResultButton,)


def _rows(view: ui.View, buttons: list[ResultButton]) -> ui.View:
    for position, button in enumerate(buttons):
        button.row = min(position // ROW_WIDTH, 4)
        view.add_item(button)
    return view


def result_view(generation_id: str, image_count: int = 0) -> ui.View:
    """Under a result: a row of actions, then V1…V10 for the images in this message."""
    actions = [ResultButton(name, generation_id) for name in ("same", "new", "remix", "info", "delete")]
    variations = [ResultButton("var", generation_id, i) for i in range(1, min(image_count, FILES_PER_MESSAGE) + 1)]
    return _rows(ui.View(timeout=None), actions + variations)


def continuation_view(generation_id: str, first_index: int, count: int) -> ui.View:
    """Under an overflow message (images 11 and 12): their variation buttons."""
    return _rows(ui.View(timeout=None), [ResultButton("var", generation_id, first_index + i) for i in range(count)])


def cancel_view(generation_id: str) -> ui.View:
    """The Cancel button under a queued job's status."""
    return _rows(ui.View(timeout=None), [ResultButton("cancel", generation_id)])


def failure_view(generation_id: str) -> ui.View:
    """Under a failure a retry can help with: Retry (the same request) and a fresh seed."""
    buttons = [ResultButton("same", generation_id, label="Retry"), ResultButton("new", generation_id),
               ResultButton("info", generation_id)]  # fmt: skip
    return _rows(ui.View(timeout=None), buttons)
