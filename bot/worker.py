"""A worker process: claims jobs from the database and delivers them, with no gateway connection.

``python -m bot worker`` runs one next to the bot (any number of them, on PostgreSQL). It logs
in to Discord's REST API only: status edits and results go through the interaction's webhook
while its token is valid, then the bot token, exactly as in the bot process.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import discord
import discord.http

from bot.gateway import GatewayClient
from bot.jobs import JobEngine
from bot.settings import Settings
from bot.storage import Storage, open_storage
from bot.wiring import make_engine

log = logging.getLogger(__name__)


class Worker(discord.Client):
    """A REST-only Discord client that runs the job engine."""

    def __init__(self, *, settings: Settings, storage: Storage, gateway: GatewayClient) -> None:
        super().__init__(intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none())
        self.settings = settings
        self.storage = storage
        self.jobs: JobEngine = make_engine(self, settings, storage, gateway)

    async def setup_hook(self) -> None:
        # Called by login(): the application id is known, so interaction webhooks can be used.
        await self.jobs.start(adopt_waiting=False)
        log.info("worker %s ready", self.jobs.owner)

    async def shutdown(self, grace: float) -> None:
        """Let running jobs finish for ``grace`` seconds, give the rest back, log out."""
        await self.jobs.shutdown(grace)
        await self.close()


@asynccontextmanager
async def open_worker(settings: Settings) -> AsyncIterator[Worker]:
    """Open what a worker needs (HTTP session, database, gateway client) and close it all after."""
    if settings.discord_api_base_url:
        discord.http.Route.BASE = settings.discord_api_base_url
    async with aiohttp.ClientSession() as session, open_storage(settings.database_url) as storage:
        gateway = GatewayClient(
            session,
            base_url=settings.gateway_base_url,
            api_key=settings.gateway_api_key.get(),
            response_format=settings.gateway_response_format,
            timeout=settings.gateway_timeout,
        )
        async with Worker(settings=settings, storage=storage, gateway=gateway) as worker:
            yield worker


async def run_worker(settings: Settings, *, grace: float) -> None:
    """Log in to Discord's REST API and run jobs until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    async with open_worker(settings) as worker:
        await worker.login(settings.discord_token.get())
        await stopping.wait()
        log.info("worker shutting down: %d jobs running here", worker.jobs.running)
        await worker.shutdown(grace)
