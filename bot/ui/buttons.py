"""Persistent result buttons. The custom_id holds only a short record id; the request lives in the DB.

Being ``DynamicItem`` s, they are matched by template on every click, so they keep working
after restarts for as long as the record exists.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import ui

from bot.storage import Action

if TYPE_CHECKING:
    from bot.client import ImagineBot

log = logging.getLogger(__name__)

ID_PATTERN = r"(?P<id>[0-9a-z]{1,16})"
GONE = "🗑️ That result is no longer stored, so it cannot be re-run. Start a new one with `/imagine`."


class SameSeedButton(ui.DynamicItem[ui.Button[Any]], template=rf"img:same:{ID_PATTERN}"):
    """🔁 Run the identical request again."""

    def __init__(self, generation_id: str, *, label: str = "Same seed") -> None:
        self.generation_id = generation_id
        super().__init__(
            ui.Button(
                label=label,
                emoji="🔁",
                style=discord.ButtonStyle.secondary,
                custom_id=f"img:same:{generation_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> SameSeedButton:
        return cls(match["id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _rerun(interaction, self.generation_id, Action.SAME_SEED)


class NewSeedButton(ui.DynamicItem[ui.Button[Any]], template=rf"img:new:{ID_PATTERN}"):
    """🎲 Run the same request with a fresh random seed."""

    def __init__(self, generation_id: str) -> None:
        self.generation_id = generation_id
        super().__init__(
            ui.Button(
                label="New seed",
                emoji="🎲",
                style=discord.ButtonStyle.secondary,
                custom_id=f"img:new:{generation_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> NewSeedButton:
        return cls(match["id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _rerun(interaction, self.generation_id, Action.NEW_SEED)


class CancelButton(ui.DynamicItem[ui.Button[Any]], template=rf"img:cancel:{ID_PATTERN}"):
    """✖️ Cancel a job that is still waiting (requester or Manage Messages)."""

    def __init__(self, generation_id: str) -> None:
        self.generation_id = generation_id
        super().__init__(
            ui.Button(
                label="Cancel", emoji="✖️", style=discord.ButtonStyle.danger, custom_id=f"img:cancel:{generation_id}"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> CancelButton:
        return cls(match["id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = cast("ImagineBot", interaction.client)
        await bot.jobs.cancel(interaction, self.generation_id)


PERSISTENT_ITEMS: tuple[type[ui.DynamicItem[Any]], ...] = (SameSeedButton, NewSeedButton, CancelButton)


def result_view(generation_id: str) -> ui.View:
    """Buttons under a delivered result."""
    view = ui.View(timeout=None)
    view.add_item(SameSeedButton(generation_id))
    view.add_item(NewSeedButton(generation_id))
    return view


def cancel_view(generation_id: str) -> ui.View:
    """The Cancel button under a queued job's status."""
    view = ui.View(timeout=None)
    view.add_item(CancelButton(generation_id))
    return view


def failure_view(generation_id: str) -> ui.View:
    """The Retry button under a failure a retry can help with (plus a fresh seed)."""
    view = ui.View(timeout=None)
    view.add_item(SameSeedButton(generation_id, label="Retry"))
    view.add_item(NewSeedButton(generation_id))
    return view


async def _rerun(interaction: discord.Interaction[Any], generation_id: str, action: Action) -> None:
    bot = cast("ImagineBot", interaction.client)
    record = await bot.storage.get_generation(generation_id)
    if record is None:
        await interaction.response.send_message(GONE, ephemeral=True)
        return
    request = record.request if action is Action.SAME_SEED else record.request.with_seed(bot.random_seed())
    await bot.jobs.submit(interaction, request, action=action, parent_id=record.id)
