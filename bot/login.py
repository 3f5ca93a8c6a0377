"""Logging in to Discord's REST API outside the running bot: waiting for Discord at start-up, and ``check``.

Uses discord.py's own HTTP layer (the same requests, headers and rate limits as the bot) with
a fresh client per attempt, so a failed attempt leaves nothing half-open behind it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import aiohttp
import discord
import discord.http

from bot.settings import DiscordAccess

log = logging.getLogger(__name__)
T = TypeVar("T")

# One attempt: discord.py itself retries a 500/502/504 a few times (about 16 s) before giving up.
LOGIN_TIMEOUT = 30.0
RETRY_FIRST = 1.0  # seconds before the second attempt; doubled after each failure …
RETRY_CAP = 60.0  # … up to this: a bot whose network comes up late still starts within a minute of it
# What "Discord is not reachable" means: no connection, no answer in time, or a server error.
NETWORK_ERRORS = (OSError, aiohttp.ClientError, discord.DiscordServerError)  # TimeoutError is an OSError


class DiscordUnreachable(Exception):
    """Discord did not answer (connection refused, name not resolved, timeout, 5xx); ``reason`` says which."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"Discord is not reachable at {host}: {reason}")
        self.host = host
        self.reason = reason


@dataclass(frozen=True, slots=True)
class BotUser:
    """Who the token belongs to."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Login:
    """A discord.py HTTP client logged in with the token, and the bot user it logged in as."""

    http: discord.http.HTTPClient
    user: BotUser


def api_host(access: DiscordAccess) -> str:
    """The host (and port) of Discord's REST API as configured, for messages."""
    return urlsplit(access.api_base_url or discord.http.Route.BASE).netloc


def unreachable_reason(error: BaseException, timeout: float = LOGIN_TIMEOUT) -> str:
    """Why Discord could not be reached, in a few words (``error`` is one of :data:`NETWORK_ERRORS`)."""
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout:.0f}s"
    if isinstance(error, discord.DiscordServerError):
        return f"HTTP {error.status} (a failure on Discord's side)"
    if isinstance(error, aiohttp.ClientConnectorError):
        cause = error.os_error
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return f"the name does not resolve ({cause.strerror})"
        return cause.strerror or str(cause) or type(cause).__name__
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


@asynccontextmanager
async def logged_in(access: DiscordAccess, timeout: float = LOGIN_TIMEOUT) -> AsyncIterator[Login]:
    """Log in over REST only (no websocket) and yield the client; it is closed after the block.

    Raises :class:`discord.LoginFailure` when Discord refuses the token and
    :class:`DiscordUnreachable` when it cannot be asked.
    """
    if access.api_base_url:  # as the bot does (bot.runtime): a proxy, or the tests' local Discord
        discord.http.Route.BASE = access.api_base_url
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        data = await within(http.static_login(access.token.get()), access, timeout)
        yield Login(http, BotUser(int(data["id"]), str(data.get("username", ""))))
    finally:
        await http.close()


async def within(call: Awaitable[T], access: DiscordAccess, timeout: float = LOGIN_TIMEOUT) -> T:
    """Await a REST call with a time limit, turning network failures into :class:`DiscordUnreachable`."""
    try:
        async with asyncio.timeout(timeout):
            return await call
    except NETWORK_ERRORS as error:
        raise DiscordUnreachable(api_host(access), unreachable_reason(error, timeout)) from None


def retry_delay(attempt: int) -> float:
    """Seconds to wait after the ``attempt``-th failed login: 1, 2, 4 … capped at :data:`RETRY_CAP`."""
    doublings = min(max(attempt - 1, 0), 16)  # 2**16 s is far past the cap; bounded, it never overflows
    return min(RETRY_CAP, RETRY_FIRST * (1 << doublings))


async def wait_for_discord(access: DiscordAccess, stopping: asyncio.Event) -> bool:
    """Try to log in until Discord answers, logging one line per failed try; ``False`` if stopped first.

    A refused token is not retried: :class:`discord.LoginFailure` propagates.
    """
    attempt = 0
    while not stopping.is_set():
        attempt += 1
        try:
            answered = await _unless_stopped(_try_login(access), stopping)
        except DiscordUnreachable as error:
            delay = retry_delay(attempt)
            log.warning("%s; retrying in %.0fs", error, delay)
            if await _unless_stopped(asyncio.sleep(delay, result=True), stopping) is None:
                return False
            continue
        return answered is not None
    return False


async def _try_login(access: DiscordAccess) -> bool:
    async with logged_in(access):
        return True


async def _unless_stopped(call: Awaitable[T], stopping: asyncio.Event) -> T | None:
    """``call``'s result, or ``None`` as soon as ``stopping`` is set (the call is then cancelled)."""
    task = asyncio.ensure_future(call)
    stopper = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task})  # let it close its connection; our own cancellation still propagates
    return None if task.cancelled() else task.result()
