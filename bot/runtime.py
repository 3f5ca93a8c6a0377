"""Process lifetimes in one place: HTTP session, database, gateway client, metrics, and the bot or worker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass

import aiohttp
import discord.gateway
import discord.http
import yarl

from bot.client import ImagineBot
from bot.gateway import GatewayClient
from bot.inputs import AttachmentFetcher
from bot.memory import pin_mmap_threshold
from bot.metrics import Metrics, serve_metrics
from bot.settings import Settings
from bot.spool import Spool
from bot.storage import Storage, open_storage
from bot.worker import Worker


@dataclass(frozen=True, slots=True)
class Services:
    """What every process of the bot works with."""

    storage: Storage
    gateway: GatewayClient
    metrics: Metrics
    attachments: AttachmentFetcher  # members' images for edits, from Discord's attachment hosts


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Open the HTTP session, the database and the gateway client; close them all after."""
    # Both default to Discord itself; operators may point them at proxies (and tests at a local Discord).
    if settings.discord_api_base_url:
        discord.http.Route.BASE = settings.discord_api_base_url
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
    metrics = Metrics()
    pin_mmap_threshold()  # image buffers go back to the system after a burst (see bot.memory)
    with Spool.under(settings.data_dir) as spool:  # images in transit live in files there
        async with aiohttp.ClientSession() as session, open_storage(settings.database_url) as storage:
            gateway = GatewayClient(
                session,
                base_url=settings.gateway_base_url,
                api_key=settings.gateway_api_key.get(),
                response_format=settings.gateway_response_format,
                timeout=settings.gateway_timeout,
                observer=metrics,
                spool=spool,
            )
            attachments = AttachmentFetcher(session, extra_hosts=settings.attachment_hosts)
            yield Services(storage, gateway, metrics, attachments)


@asynccontextmanager
async def open_bot(settings: Settings) -> AsyncIterator[ImagineBot]:
    """Open everything the bot needs, yield it ready to ``start``, and close it all after."""
    async with open_services(settings) as services:
        bot = ImagineBot(
            settings=settings,
            storage=services.storage,
            gateway=services.gateway,
            metrics=services.metrics,
            attachments=services.attachments,
        )
        async with bot, _metrics_server(settings, services, bot.healthy):
            yield bot


@asynccontextmanager
async def open_worker(settings: Settings) -> AsyncIterator[Worker]:
    """Open everything a worker needs, yield it ready to ``login``, and close it all after."""
    async with open_services(settings) as services:
        worker = Worker(settings=settings, storage=services.storage, gateway=services.gateway, metrics=services.metrics)
        async with worker, _metrics_server(settings, services, worker.healthy):
            yield worker


def _metrics_server(
    settings: Settings, services: Services, healthy: Callable[[], bool]
) -> AbstractAsyncContextManager[None]:
    """``/metrics`` and ``/healthz`` for as long as the process lives, if ``METRICS_PORT`` is set."""
    if settings.metrics_port is None:
        return nullcontext()

    async def job_counts() -> Mapping[str, int]:
        return {str(status): count for status, count in (await services.storage.jobs.count_by_status()).items()}

    return serve_metrics(
        services.metrics, host=settings.metrics_host, port=settings.metrics_port, healthy=healthy, job_counts=job_counts
    )
