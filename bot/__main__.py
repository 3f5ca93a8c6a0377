"""Entry point: ``python -m bot``. Owns every lifetime: settings, HTTP session, database, bot."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import aiohttp
import discord
import discord.http
from dotenv import load_dotenv

from bot.client import ImagineBot
from bot.gateway import GatewayClient
from bot.settings import Settings, SettingsError
from bot.storage import Storage

log = logging.getLogger("bot")
SHUTDOWN_GRACE = 30.0  # seconds running jobs get to finish on SIGTERM


async def run(settings: Settings) -> None:
    """Connect to Discord and serve until closed or signalled."""
    if settings.discord_api_base_url:
        # A REST proxy (or the test suite's local Discord); the websocket URL follows from it.
        discord.http.Route.BASE = settings.discord_api_base_url
    async with (
        aiohttp.ClientSession() as session,
        Storage.open(settings.database_path) as storage,
    ):
        gateway = GatewayClient(
            session,
            base_url=settings.gateway_base_url,
            api_key=settings.gateway_api_key.get(),
            response_format=settings.gateway_response_format,
            timeout=settings.gateway_timeout,
        )
        bot = ImagineBot(settings=settings, storage=storage, gateway=gateway)
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        async with bot:
            runner = asyncio.create_task(bot.start(settings.discord_token.get()))
            stopper = asyncio.create_task(stopping.wait())
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if stopper in done:
                log.info("shutting down: waiting up to %.0fs for %d running jobs", SHUTDOWN_GRACE, bot.jobs.running)
                await bot.jobs.wait_idle(SHUTDOWN_GRACE)
                await bot.close()
            stopper.cancel()
            await runner  # re-raises a login or connection failure


def main() -> None:
    """Console-script entry: load ``.env``, validate settings, run."""
    load_dotenv()
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    settings.configure_logging()
    try:
        asyncio.run(run(settings))
    except discord.LoginFailure:
        print("Configuration error: DISCORD_TOKEN was rejected by Discord.", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        pass
    log.info("stopped")


if __name__ == "__main__":
    main()
