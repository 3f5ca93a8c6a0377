"""The bot's lifetimes in one place: HTTP session, database, gateway client, bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import discord.gateway
import discord.http
import yarl

from bot.client import ImagineBot
from bot.gateway import GatewayClient
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
        )
        bot = ImagineBot(settings=settings, storage=storage, gateway=gateway)
        async with bot:
            yield bot
