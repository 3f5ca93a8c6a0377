"""Logging in over REST: against the local Discord, against nothing, and the wait at start-up."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import discord
import pytest

from bot.login import DiscordUnreachable, logged_in, retry_delay, wait_for_discord
from bot.settings import DiscordAccess, Secret
from tests.fakes.discord import FakeDiscord
from tests.fakes.server import serve


@pytest.fixture
async def local_discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    async with serve(fake.app()) as base_url:
        fake.base_url = base_url
        yield fake


def access(base_url: str, token: str) -> DiscordAccess:
    return DiscordAccess(Secret(token), f"{base_url}/api/v10")


def closed_port_url() -> str:
    with socket.socket() as sock:  # free a moment ago, so nothing listens there now
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def test_logs_in_over_rest_only(local_discord: FakeDiscord) -> None:
    async with logged_in(access(local_discord.base_url, local_discord.token)) as login:
        assert (login.user.id, login.user.name) == (local_discord.bot_user.id, "Imagine")
    assert local_discord.requests_seen == ["GET /api/v10/users/@me"] and local_discord.identify_count == 0


async def test_a_wrong_token_is_a_login_failure(local_discord: FakeDiscord) -> None:
    with pytest.raises(discord.LoginFailure):
        async with logged_in(access(local_discord.base_url, "wrong-token")):
            pass


async def test_nothing_listening_is_unreachable_in_a_few_words() -> None:
    url = closed_port_url()
    with pytest.raises(DiscordUnreachable) as info:
        async with logged_in(access(url, "token")):
            pass
    assert str(info.value) == f"Discord is not reachable at {url.removeprefix('http://')}: connection refused"


def test_retries_back_off_exponentially_up_to_a_minute() -> None:
    assert [retry_delay(attempt) for attempt in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert retry_delay(10_000) == 60


class Lines(logging.Handler):
    """Collects what ``bot.login`` logs, and says when something was."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []
        self.logged = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        self.logged.set()


async def test_keeps_trying_with_one_line_per_try_and_stops_when_asked() -> None:
    lines = Lines()
    logging.getLogger("bot.login").addHandler(lines)
    try:
        stopping = asyncio.Event()
        waiting = asyncio.create_task(wait_for_discord(access(closed_port_url(), "token"), stopping))
        await lines.logged.wait()
        stopping.set()  # during the 1 s wait before the second try
        assert await waiting is False
    finally:
        logging.getLogger("bot.login").removeHandler(lines)
    (message,) = lines.messages
    assert message.startswith("Discord is not reachable at 127.0.0.1:")
    assert message.endswith(": connection refused; retrying in 1s")


async def test_a_refused_token_is_not_retried(local_discord: FakeDiscord) -> None:
    with pytest.raises(discord.LoginFailure):
        await wait_for_discord(access(local_discord.base_url, "wrong-token"), asyncio.Event())
    assert local_discord.requests_seen == ["GET /api/v10/users/@me"]


async def test_returns_at_once_when_discord_answers(local_discord: FakeDiscord) -> None:
    assert await wait_for_discord(access(local_discord.base_url, local_discord.token), asyncio.Event()) is True
