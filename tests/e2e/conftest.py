"""Fixtures for end-to-end scenarios."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.client import ImagineBot
from tests.bed import Bed, open_bed
from tests.databases import BACKENDS, postgres_schema


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(params=BACKENDS)
async def bed(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Bed]:
    """The local Discord and gateway, and a database: every scenario runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        async with open_bed(tmp_path / "data") as bed:  # the default: a file in DATA_DIR
            yield bed
        return
    async with postgres_schema() as url, open_bed(tmp_path / "data", database_url=url) as bed:
        yield bed


@pytest.fixture
async def bot(bed: Bed) -> AsyncIterator[ImagineBot]:
    async with bed.bot() as running:
        yield running
