"""Entry point: ``python -m bot``. Loads settings, then runs the bot until closed or signalled."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import discord
from dotenv import find_dotenv, load_dotenv

from bot.runtime import open_bot
from bot.settings import Settings, SettingsError
from bot.worker import run_worker

log = logging.getLogger("bot")
SHUTDOWN_GRACE = 30.0  # seconds running jobs get to finish on SIGTERM


async def run(settings: Settings) -> None:
    """Connect to Discord and serve until closed, SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    async with open_bot(settings) as bot:
        runner = asyncio.create_task(bot.start(settings.discord_token.get()))
        stopper = asyncio.create_task(stopping.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("shutting down: %d jobs running here", bot.jobs.running)
            await bot.shutdown(SHUTDOWN_GRACE)
        stopper.cancel()
        await runner  # re-raises a login or connection failure


def main() -> None:
    """Console-script entry: load ``.env``, validate settings, run."""
    load_dotenv(find_dotenv(usecwd=True))  # the .env beside where the bot is started
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    settings.configure_logging()
    try:
        if sys.argv[1:] == ["worker"]:
            asyncio.run(run_worker(settings, grace=SHUTDOWN_GRACE))
        else:
            asyncio.run(run(settings))
    except discord.LoginFailure:
        print("Configuration error: DISCORD_TOKEN was rejected by Discord.", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        pass
    log.info("stopped")


if __name__ == "__main__":
    main()
