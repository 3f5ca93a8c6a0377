"""``/jobs`` and ``/queue``: where your jobs are."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import spec_for_model
from bot.storage import Generation, Status
from bot.ui.summary import quote

if TYPE_CHECKING:
    from bot.client import ImagineBot

_ICONS = {Status.QUEUED: "⏳", Status.RUNNING: "🎨", Status.DONE: "✅", Status.FAILED: "⚠️", Status.CANCELLED: "🚫"}


class Jobs(commands.Cog):
    """Job lists and queue positions."""

    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

    @app_commands.command(name="jobs")
    async def jobs(self, interaction: discord.Interaction[Any]) -> None:
        """Your recent and queued image jobs, with links."""
        recent = await self.bot.storage.recent_for_user(interaction.user.id, limit=10)
        if not recent:
            await interaction.response.send_message("You have no image jobs yet. Try `/imagine`.", ephemeral=True)
            return
        lines = [self._line(generation) for generation in recent]
        await interaction.response.send_message("\n".join(["**Your recent jobs**", *lines]), ephemeral=True)

    @app_commands.command(name="queue")
    async def queue(self, interaction: discord.Interaction[Any]) -> None:
        """How busy the bot is, and where your jobs are in the queue."""
        engine = self.bot.jobs
        limits = engine.limits
        lines = [
            f"🎨 {engine.running} generating · ⏳ {engine.waiting} waiting",
            f"-# Limits: {limits.global_running} at once · {limits.server_running} per server · "
            f"{limits.user_running} at once and {limits.user_pending} in total per person",
        ]
        mine = []
        for job_id in engine.jobs_of(interaction.user.id):
            state = engine.state_of(job_id)
            if state is not None:
                where = "generating" if state[0] == "running" else f"position {state[1]} of {engine.waiting}"
                mine.append(f"`{job_id}` — {where}")
        lines.append("**Yours:** " + (", ".join(mine) if mine else "nothing waiting or generating"))
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    def _line(self, generation: Generation) -> str:
        state = self.bot.jobs.state_of(generation.id)
        label = generation.status.value
        if state is not None and state[0] == "waiting":
            label = f"queued, position {state[1]}"
        model = spec_for_model(generation.request.model).display_name
        line = (
            f"{_ICONS[generation.status]} `{generation.id}` {label} · {model} · "
            f"“{quote(generation.request.prompt, 60)}” · <t:{int(generation.created_at)}:R>"
        )
        message_id = generation.message_id or generation.status_message_id
        if message_id and generation.guild_id:
            line += (
                f" · [open](https://discord.com/channels/{generation.guild_id}/{generation.channel_id}/{message_id})"
            )
        return line


async def setup(bot: ImagineBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Jobs(bot))
