"""Fixtures for end-to-end scenarios."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.client import ImagineBot
from tests.bed import Bed, open_bed


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
async def bed(tmp_path: Path) -> AsyncIterator[Bed]:
    async with open_bed(tmp_path / "data") as bed:
        yield bed


@pytest.fixture
async def bot(bed: Bed) -> AsyncIterator[ImagineBot]:
    async with bed.bot() as running:
        yield running
