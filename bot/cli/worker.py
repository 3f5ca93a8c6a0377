"""``python -m bot worker``: claim and deliver jobs over REST, beside a bot process (PostgreSQL)."""

from __future__ import annotations

import argparse
import logging

from bot.settings import Settings
from bot.worker import run_worker

from ._common import SHUTDOWN_GRACE, Command, ExitCode, configure_logging, read_settings, startup_line, stop_signals
from .run import discord_answers, run_until_stopped

log = logging.getLogger("bot")


async def work(settings: Settings) -> None:
    """Wait for Discord to answer, then run jobs until SIGTERM or SIGINT."""
    if await discord_answers(settings, stop_signals()):
        await run_worker(settings, grace=SHUTDOWN_GRACE)  # installs its own signal handlers


def main(args: argparse.Namespace) -> ExitCode:
    """Read and check the settings, then run a worker."""
    settings = read_settings()
    configure_logging(settings)
    log.info("%s", startup_line(settings, "worker"))
    return run_until_stopped(settings, work)


COMMAND = Command("worker", "Run a worker: it claims and delivers jobs over REST, with no gateway connection.", main)
