"""A Confirm/Cancel pair on an ephemeral message, for one member, that expires.

Not persistent on purpose: a confirmation older than its timeout (or a restart) should be
asked again, not acted on. The command awaits :meth:`Confirmation.wait`, then answers
:attr:`Confirmation.pressed` itself, so what is confirmed stays with the command.
"""

from __future__ import annotations

from typing import Any

import discord

TIMEOUT = 120.0


class Confirmation(discord.ui.View):
    """Two buttons; after :meth:`wait`, ``confirmed`` says which was pressed (``pressed`` is that click)."""

    def __init__(
        self, owner_id: int, *, confirm_label: str, cancel_label: str, not_yours: str, timeout: float = TIMEOUT
    ) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.not_yours = not_yours
        self.confirmed = False
        self.pressed: discord.Interaction[Any] | None = None
        self.confirm.label = confirm_label
        self.cancel.label = cancel_label

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(self.not_yours, ephemeral=True)
        return False

    @discord.ui.button(style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Confirmation]) -> None:
        self._finish(interaction, confirmed=True)

    @discord.ui.button(style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Confirmation]) -> None:
        self._finish(interaction, confirmed=False)

    def _finish(self, interaction: discord.Interaction[Any], *, confirmed: bool) -> None:
        self.confirmed = confirmed
        self.pressed = interaction
        self.stop()
