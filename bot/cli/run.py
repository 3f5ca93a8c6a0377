"""``python -m bot run`` (and plain ``python -m bot``): connect to Discord and serve until stopped."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import discord

from bot.login import wait_for_discord
from bot.runtime import open_bot
from bot.settings import Settings
from bot.storage import DatabaseUnavailable

from ._common import (
    SHUTDOWN_GRACE,
    Abort,
    Command,
    ExitCode,
    configure_logging,
    read_settings,
    startup_line,
    stop_signals,
)

log = logging.getLogger("bot")
Entry = Callable[[Settings], Coroutine[Any, Any, None]]


async def discord_answers(settings: Settings, stopping: asyncio.Event) -> bool:
    """Wait until Discord accepts a login (``False``: stopped first); an answer other than yes or 401 aborts."""
    try:
        return await wait_for_discord(settings.discord_access, stopping)
    except discord.LoginFailure:
        raise
    except discord.HTTPException as error:  # e.g. a 404: DISCORD_API_BASE_URL is not Discord's API
        raise Abort(
            f"Configuration error: Discord answered the login with HTTP {error.status} ({error.text or 'no text'}):"
            " check DISCORD_API_BASE_URL.",
            ExitCode.CONFIGURATION,
        ) from None


async def serve(settings: Settings) -> None:
    """Wait for Discord to answer, then connect and serve until closed, SIGTERM or SIGINT."""
    stopping = stop_signals()
    if not await discord_answers(settings, stopping):
        return  # stopped while Discord was still out of reach
    async with open_bot(settings) as bot:
        runner = asyncio.create_task(bot.start(settings.discord_token.get()))
        stopper = asyncio.create_task(stopping.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("shutting down: %d jobs running here", bot.jobs.running)
            await bot.shutdown(SHUTDOWN_GRACE)
        stopper.cancel()
        await runner  # re-raises a login or connection failure


def main(args: argparse.Namespace) -> ExitCode:
    """Read and check the settings, then run the bot."""
    settings = read_settings()
    configure_logging(settings)
    log.info("%s", startup_line(settings, "bot"))
    return run_until_stopped(settings, serve)


def run_until_stopped(settings: Settings, entry: Entry) -> ExitCode:
    """Run ``entry(settings)`` to its end; the failures an operator can fix become one sentence and an exit code."""
    try:
        asyncio.run(entry(settings))
    except discord.LoginFailure:
        raise Abort("Configuration error: DISCORD_TOKEN was rejected by Discord.", ExitCode.CONFIGURATION) from None
    except DatabaseUnavailable as error:
        raise Abort(f"Database error: {error}.", ExitCode.FAILED) from None
    except KeyboardInterrupt:
        pass
    log.info("stopped")
    return ExitCode.OK


COMMAND = Command("run", "Run the bot (what happens when no command is given).", main)
