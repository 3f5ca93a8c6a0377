"""Shared fixtures: the local gateway and an aiohttp session."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.i18n import catalogue
from tests.fakes.gateway import FakeGateway
from tests.fakes.server import serve

# A message key missing from the catalogues fails the test that shows it (here and in the bot
# processes the tests start), instead of showing the bare key to a member.
os.environ["IMAGINE_STRICT_I18N"] = "1"
catalogue.STRICT = True


@pytest.fixture
async def fake_gateway() -> AsyncIterator[FakeGateway]:
    gateway = FakeGateway()
    async with serve(gateway.app()) as base_url:
        gateway.base_url = base_url
        yield gateway


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
