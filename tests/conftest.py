"""Shared fixtures: the local gateway and an aiohttp session."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from bot.i18n import catalogue
from tests.fakes.discord import _spec
from tests.fakes.gateway import FakeGateway
from tests.fakes.server import serve
from tests.paths import DISCORD_OPENAPI

# A message key missing from the catalogues fails the test that shows it (here and in the bot
# processes the tests start), instead of showing the bare key to a member.
os.environ["IMAGINE_STRICT_I18N"] = "1"
catalogue.STRICT = True
# Every body the local Discord receives is judged by both schema checkers (see tests.fakes.discord._spec).
_spec.CROSS_CHECK = True


@pytest.fixture(autouse=True)
def schema_checkers_agree() -> Iterator[None]:
    """A body the two schema checkers judged differently fails the test that sent it."""
    validator = _spec.load_validator(DISCORD_OPENAPI)
    seen = len(validator.disagreements)
    yield
    assert validator.disagreements[seen:] == []


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
