"""Shared fixtures: the local gateway and an aiohttp session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.fakes.gateway import FakeGateway
from tests.fakes.server import serve


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
