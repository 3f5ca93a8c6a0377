"""Several processes on one PostgreSQL database: shards, workers, kills, limits across processes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bed import Bed, open_bed
from tests.databases import postgres_schema

from .helpers import attachment_bytes, expected_images, last_body, result_of


@pytest.fixture
async def shared_bed(tmp_path: Path) -> AsyncIterator[Bed]:
    """The local Discord and gateway, and a PostgreSQL schema that every process of the test shares."""
    async with postgres_schema() as url, open_bed(tmp_path / "data", database_url=url) as bed:
        yield bed


async def test_each_gateway_process_connects_only_its_shards(shared_bed: Bed) -> None:
    bed = shared_bed
    async with (
        bed.bot_process(env={"SHARD_COUNT": "2", "SHARD_IDS": "0"}),
        bed.bot_process(env={"SHARD_COUNT": "2", "SHARD_IDS": "1"}),
    ):
        assert sorted(bed.discord.shards_identified) == [(0, 2), (1, 2)]
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="sharded", size="512*512")
        message = await result_of(bed.discord, interaction, timeout=20)
    assert attachment_bytes(message) == expected_images(last_body(bed.gateway))
