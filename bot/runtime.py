"""The bot's lifetimes in one place: HTTP session, database, gateway client, bot, metrics server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

import aiohttp
import discord.gateway
import discord.http
import yarl

from bot.client import ImagineBot
from bot.gateway import GatewayClient
from bot.metrics import Metrics, serve_metrics
from bot.settings import Settings
from bot.storage import open_storage


@asynccontextmanager
async def open_bot(settings: Settings) -> AsyncIterator[ImagineBot]:
    """Open everything the bot needs, yield it ready to ``start``, and close it all after."""
    # Both default to Discord itself; operators may point them at proxies (and tests at a local Discord).
    if settings.discord_api_base_url:
        discord.http.Route.BASE = settings.discord_api_base_url
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
    metrics = Metrics()
    async with (
        aiohttp.ClientSession() as session,
        open_storage(settings.database_url) as storage,
    ):
        gateway = GatewayClient(
            session,
            base_url=settings.gateway_base_url,
            api_key=settings.gateway_api_key.get(),
            response_format=settings.gateway_response_format,
            timeout=settings.gateway_timeout,
            observer=metrics,
        )
        bot = ImagineBot(settings=settings, storage=storage, gateway=gateway, metrics=metrics)
        async with bot, _metrics_server(bot, settings):
            yield bot


def _metrics_server(bot: ImagineBot, settings: Settings) -> AbstractAsyncContextManager[None]:
    """``/metrics`` and ``/healthz`` for as long as the bot lives, if ``METRICS_PORT`` is set."""
    if settings.metrics_port is None:
        return nullcontext()

    async def job_counts() -> Mapping[str, int]:
        return {str(status): count for status, count in (await bot.storage.jobs.count_by_status()).items()}

    return serve_metrics(
        bot.metrics, host=settings.metrics_host, port=settings.metrics_port, healthy=bot.healthy, job_counts=job_counts
    )
