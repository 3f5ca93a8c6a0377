"""A worker process: claims jobs from the database and delivers them, with no gateway connection.

``python -m bot worker`` runs one next to the bot (any number of them, on PostgreSQL). It logs
in to Discord's REST API only: status edits and results go through the interaction's webhook
while its token is valid, then the bot token, exactly as in the bot process.
"""

from __future__ import annotations

import logging

import discord

from bot.gateway import GatewayClient
from bot.heartbeat import Heartbeat
from bot.jobs import JobEngine
from bot.memory import freeze_startup_heap
from bot.metrics import Metrics
from bot.settings import Settings
from bot.storage import Storage
from bot.wiring import make_engine

log = logging.getLogger(__name__)


class Worker(discord.Client):
    """A REST-only Discord client that runs the job engine."""

    def __init__(self, *, settings: Settings, storage: Storage, gateway: GatewayClient, metrics: Metrics) -> None:
        super().__init__(
            # Never sent: a worker does not connect to the gateway. Without guilds, discord.py
            # warns at every start about guild state that a worker never holds or reads.
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            http_trace=metrics.discord_trace(),
        )
        self.settings = settings
        self.storage = storage
        self.metrics = metrics
        self.jobs: JobEngine = make_engine(self, settings, storage, gateway, metrics)
        self.heartbeat = Heartbeat(settings.data_dir, alive=self.healthy_engine)
        self._started = False

    async def setup_hook(self) -> None:
        # Called by login(): the application id is known, so interaction webhooks can be used.
        await self.jobs.start(adopt_waiting=False)
        self._started = True
        await self.heartbeat.beat()  # healthy from the moment it says it is ready
        self.heartbeat.start()
        freeze_startup_heap()
        log.info("worker %s ready", self.jobs.owner)

    def healthy_engine(self) -> bool:
        """Logged in, and the engine takes jobs."""
        return self._started and not self.is_closed() and self.jobs.taking_jobs

    def healthy(self) -> bool:
        """For ``/healthz``: the engine takes jobs and the event loop turns (the heartbeat is recent)."""
        return self.healthy_engine() and self.heartbeat.recent()

    async def shutdown(self, grace: float) -> None:
        """Let running jobs finish for ``grace`` seconds, give the rest back, log out."""
        await self.heartbeat.stop()
        await self.jobs.shutdown(grace)
        await self.close()
