"""``/jobs`` and ``/queue``: where your jobs are."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import spec_for_model
from bot.storage import Job, Status
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
        recent = await self.bot.storage.jobs.recent_for_user(interaction.user.id, limit=10)
        if not recent:
            await interaction.response.send_message("You have no image jobs yet. Try `/imagine`.", ephemeral=True)
            return
        overview = await self.bot.jobs.overview()
        lines = [self._line(job, overview.positions.get(job.id)) for job in recent]
        await interaction.response.send_message("\n".join(["**Your recent jobs**", *lines]), ephemeral=True)

    @app_commands.command(name="queue")
    async def queue(self, interaction: discord.Interaction[Any]) -> None:
        """How busy the bot is, and where your jobs are in the queue."""
        engine = self.bot.jobs
        limits = engine.limits
        overview = await engine.overview()
        lines = [
            f"🎨 {overview.running} generating · ⏳ {overview.waiting} waiting",
            f"-# Limits: {limits.global_running} at once · {limits.server_running} per server · "
            f"{limits.user_running} at once and {limits.user_pending} in total per person",
        ]
        mine = []
        for job in await self.bot.storage.jobs.open_jobs(user_id=interaction.user.id):
            if job.id in overview.running_ids:
                mine.append(f"`{job.id}` — generating")
            elif (place := overview.positions.get(job.id)) is not None:
                mine.append(f"`{job.id}` — position {place} of {overview.waiting}")
        lines.append("**Yours:** " + (", ".join(mine) if mine else "nothing waiting or generating"))
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    def _line(self, job: Job, position: int | None) -> str:
        label = job.status.value
        if job.status is Status.QUEUED and position is not None:
            label = f"queued, position {position}"
        model = spec_for_model(job.request.model).display_name
        line = (
            f"{_ICONS[job.status]} `{job.id}` {label} · {model} · "
            f"“{quote(job.request.prompt, 60)}” · <t:{int(job.created_at)}:R>"
        )
        message_id = job.message_id or job.status_message_id
        if message_id and job.guild_id:
            line += f" · [open](https://discord.com/channels/{job.guild_id}/{job.channel_id}/{message_id})"
        return line


async def setup(bot: ImagineBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Jobs(bot))
