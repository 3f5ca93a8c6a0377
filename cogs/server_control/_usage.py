"""``/usage``: your images today, your allowance and what is left; the server's budget and top members."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.i18n import t
from bot.policy import ServerPolicy, member_allowance, resets_at, server_allowance, usage_day
from bot.ui.language import command_text, member_locale
from bot.ui.members import is_manager, member_roles
from bot.ui.usage_text import UsageReport, render_usage

from ._options import reply

if TYPE_CHECKING:
    from bot.client import ImagineBot

TOP_MEMBERS = 10


class Usage(commands.Cog):
    """Daily usage and allowances."""

    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

    @app_commands.command(name="usage", description=command_text("command.usage.description"))
    async def usage(self, interaction: discord.Interaction[Any]) -> None:
        """Your images today, what is left of your allowance, and when it resets."""
        locale = member_locale(interaction)
        ceilings = self.bot.settings.ceilings
        guild_id = interaction.guild_id
        dm = guild_id is None
        if dm and not ceilings.allow_dms:
            await reply(interaction, t("settings.dms_disabled", locale))
            return
        now = time.time()
        documents = await self.bot.storage.policies.load(guild_id, interaction.user.id)
        policy = ServerPolicy() if dm else ServerPolicy.from_dict(documents.policy)
        manager = not dm and is_manager(interaction)
        today = await self.bot.storage.usage.today(usage_day(now), guild_id, interaction.user.id, top=TOP_MEMBERS)
        report = UsageReport(
            member_counted=today.member_used + today.member_reserved,
            member_reserved=today.member_reserved,
            member_limit=member_allowance(policy, ceilings, member_roles(interaction), dm=dm),
            resets_at=resets_at(now),
            dm=dm,
            server_counted=today.server_used + today.server_reserved,
            server_limit=None if dm else server_allowance(policy, ceilings),
            top=today.top if manager else None,
        )
        await reply(interaction, render_usage(report, locale))
