"""``python -m bot worker``: claim and deliver jobs over REST, beside a bot process (PostgreSQL)."""

from __future__ import annotations

import argparse
import logging

from bot.runtime import open_worker
from bot.settings import Settings

from ._common import SHUTDOWN_GRACE, Command, ExitCode, configure_logging, read_settings, startup_line, stop_signals
from .run import discord_answers, run_until_stopped

log = logging.getLogger("bot")


async def work(settings: Settings) -> None:
    """Wait for Discord to answer, then log in to its REST API and run jobs until SIGTERM or SIGINT."""
    stopping = stop_signals()
    if not await discord_answers(settings, stopping):
        return  # stopped while Discord was still out of reach
    async with open_worker(settings) as worker:
        await worker.login(settings.discord_token.get())
        await stopping.wait()
        log.info("worker shutting down: %d jobs running here", worker.jobs.running)
        await worker.shutdown(SHUTDOWN_GRACE)


def main(args: argparse.Namespace) -> ExitCode:
    """Read and check the settings, then run a worker."""
    settings = read_settings()
    configure_logging(settings)
    log.info("%s", startup_line(settings, "worker"))
    return run_until_stopped(settings, work)


COMMAND = Command("worker", "Run a worker: it claims and delivers jobs over REST, with no gateway connection.", main)
