"""``/jobs`` and ``/queue``: where your jobs are."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import spec_for_model
from bot.i18n import t
from bot.storage import Job, Status
from bot.ui.language import command_text, member_locale
from bot.ui.summary import quote

if TYPE_CHECKING:
    from bot.client import ImagineBot

_ICONS = {Status.QUEUED: "⏳", Status.RUNNING: "🎨", Status.DONE: "✅", Status.FAILED: "⚠️", Status.CANCELLED: "🚫"}


class Jobs(commands.Cog):
    """Job lists and queue positions."""

    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

    @app_commands.command(name="jobs", description=command_text("command.jobs.description"))
    async def jobs(self, interaction: discord.Interaction[Any]) -> None:
        """Your recent and queued image jobs, with links."""
        locale = member_locale(interaction)
        recent = await self.bot.storage.jobs.recent_for_user(interaction.user.id, limit=10)
        if not recent:
            await interaction.response.send_message(t("jobs.none", locale), ephemeral=True)
            return
        overview = await self.bot.jobs.overview()
        lines = [_line(job, overview.positions.get(job.id), locale) for job in recent]
        await interaction.response.send_message("\n".join([t("jobs.title", locale), *lines]), ephemeral=True)

    @app_commands.command(name="queue", description=command_text("command.queue.description"))
    async def queue(self, interaction: discord.Interaction[Any]) -> None:
        """How busy the bot is, and where your jobs are in the queue."""
        locale = member_locale(interaction)
        engine = self.bot.jobs
        limits = engine.limits
        overview = await engine.overview()
        lines = [
            t("queue.overview", locale, running=overview.running, waiting=overview.waiting),
            t(
                "queue.limits",
                locale,
                global_running=limits.global_running,
                server_running=limits.server_running,
                user_running=limits.user_running,
                user_pending=limits.user_pending,
            ),
        ]
        mine = []
        for job in await self.bot.storage.jobs.open_jobs(user_id=interaction.user.id):
            if job.id in overview.running_ids:
                mine.append(t("queue.generating", locale, id=job.id))
            elif (place := overview.positions.get(job.id)) is not None:
                mine.append(t("queue.position", locale, id=job.id, position=place, waiting=overview.waiting))
        lines.append(t("queue.yours", locale, jobs=", ".join(mine)) if mine else t("queue.yours_none", locale))
        await interaction.response.send_message("\n".join(lines), ephemeral=True)


def _line(job: Job, position: int | None, locale: str) -> str:
    status = t(f"job_status.{job.status.value}", locale)
    if job.status is Status.QUEUED and position is not None:
        status = t("jobs.queued_at", locale, position=position)
    line = t(
        "jobs.line",
        locale,
        icon=_ICONS[job.status],
        id=job.id,
        status=status,
        model=spec_for_model(job.request.model).display_name,
        prompt=quote(job.request.prompt, 60),
        created=int(job.created_at),
    )
    message_id = job.message_id or job.status_message_id
    if message_id and job.guild_id:
        url = f"https://discord.com/channels/{job.guild_id}/{job.channel_id}/{message_id}"
        line += t("jobs.open_link", locale, url=url)
    return line


async def setup(bot: ImagineBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Jobs(bot))
