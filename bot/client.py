"""The bot: holds its collaborators as typed attributes and registers its commands."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import SEED_MAX
from bot.gateway import GatewayClient
from bot.heartbeat import Heartbeat
from bot.i18n import t
from bot.inputs import AttachmentFetcher
from bot.jobs import JobEngine
from bot.logs import bind_interaction
from bot.memory import freeze_startup_heap
from bot.metrics import Metrics
from bot.retention import Retention, RetentionPolicy
from bot.settings import Settings
from bot.storage import Storage
from bot.ui.failures import new_error_id
from bot.ui.language import CatalogueTranslator, member_locale
from bot.wiring import make_engine

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.imagine", "cogs.edit", "cogs.jobs", "cogs.results", "cogs.server_control")


def random_seed() -> int:
    """A fresh seed in the gateway's range."""
    return secrets.randbelow(SEED_MAX + 1)


def _shards(settings: Settings) -> dict[str, Any]:
    """Which shards this process connects (discord.py's keyword arguments)."""
    shards: dict[str, Any] = {}
    if settings.shard_count is not None:
        shards["shard_count"] = settings.shard_count
    if settings.shard_ids is not None:
        shards["shard_ids"] = list(settings.shard_ids)
    return shards


class InteractionTree(app_commands.CommandTree[Any]):
    """The command tree; it tags the log records of every command and autocomplete with who and where."""

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        bind_interaction(interaction)  # runs first in the task that handles the interaction
        return True


class ImagineBot(commands.AutoShardedBot):
    """The Discord client. Built by the entry point, which owns the session and the database."""

    def __init__(
        self,
        *,
        settings: Settings,
        storage: Storage,
        gateway: GatewayClient,
        seed_source: Callable[[], int] = random_seed,
        metrics: Metrics | None = None,
        attachments: AttachmentFetcher | None = None,
    ) -> None:
        metrics = metrics or Metrics()
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            # Several gateway processes of one bot each connect their own shards (SHARD_COUNT/SHARD_IDS);
            # without them, Discord's recommended count, all in this process.
            **_shards(settings),
            tree_cls=InteractionTree,
            http_trace=metrics.discord_trace(),
        )
        self.metrics = metrics
        self.settings = settings
        self.storage = storage
        self.gateway = gateway
        self.jobs: JobEngine = make_engine(self, settings, storage, gateway, metrics)
        self.random_seed = seed_source
        self.attachments = attachments  # None only where no edit can run (command-tree tests)
        policy = RetentionPolicy(undelivered_days=settings.undelivered_days, record_days=settings.retention_days)
        self.retention = Retention(storage.jobs, settings.data_dir, policy, metrics=metrics, inputs=storage.inputs)
        self.heartbeat = Heartbeat(settings.data_dir, alive=lambda: self.is_ready() and not self.is_closed())
        self.tree.error(self.on_app_command_error)

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CatalogueTranslator())
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()
        await self.jobs.start()
        self.retention.start()
        freeze_startup_heap()  # here, before any traffic: on_ready can come in the middle of a burst

    async def launch_shards(self) -> None:
        if self.settings.discord_gateway_url and self.shard_count is None:
            # discord.py takes the websocket URL from /gateway/bot unless the shard count is known:
            # learn the count there, and connect to the configured URL (a gateway proxy) instead.
            self.shard_count, _, _ = await self.http.get_bot_gateway()
        await super().launch_shards()

    async def close(self) -> None:
        await self.heartbeat.stop()
        await self.retention.stop()
        if not hasattr(self, "_AutoShardedClient__queue"):
            # discord.py 2.7's AutoShardedClient.close() posts to an event queue that connect() makes;
            # a bot closed without connecting (a refused login, an unreachable Discord) needs one too.
            self._AutoShardedClient__queue: asyncio.PriorityQueue[Any] = asyncio.PriorityQueue()
        await super().close()

    def healthy(self) -> bool:
        """Connected to Discord, and the event loop turns (the heartbeat ran recently): for ``/healthz``."""
        shards = self.shards.values()
        connected = self.is_ready() and not self.is_closed() and bool(shards) and not any(s.is_closed() for s in shards)
        return connected and self.heartbeat.recent()

    async def shutdown(self, grace: float) -> None:
        """Graceful stop: running jobs get ``grace`` seconds, the rest stay queued for the next start."""
        await self.jobs.shutdown(grace)
        await self.close()

    async def sync_commands(self) -> None:
        """Register the slash commands, but only when they changed since the last sync."""
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        translator = self.tree.translator
        assert translator is not None  # set in setup_hook: the digest must change when a catalogue does
        commands = self.tree.get_commands(guild=guild)
        payload = [await command.get_translated_payload(self.tree, translator) for command in commands]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"commands:{self.application_id}:{guild.id if guild else 'global'}"
        if await self.storage.get_meta(key) == digest:
            log.info("slash commands unchanged; not syncing")
            return
        synced = await self.tree.sync(guild=guild)
        await self.storage.set_meta(key, digest)
        log.info("synced %d slash commands %s", len(synced), f"to guild {guild.id}" if guild else "globally")

    async def on_ready(self) -> None:
        self.heartbeat.start()  # the first beat right after READY
        log.info("ready as %s in %d servers", self.user, len(self.guilds))

    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Last resort: log with an id and tell the user, never leaving "interaction failed"."""
        error_id = new_error_id()
        log.error("command error (error id %s)", error_id, exc_info=error)
        text = t("error.command", member_locale(interaction), error_id=error_id)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not report error %s to the user", error_id)
