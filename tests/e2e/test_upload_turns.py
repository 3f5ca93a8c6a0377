"""Large results take turns uploading; small ones never wait behind them."""

from __future__ import annotations

import asyncio

from bot.ui.courier import MAX_LARGE_UPLOADS
from tests.bed import Bed

from .helpers import result_of

LARGE = {"prompt": "big", "size": "2048*2048", "seed": 7}  # textured: a PNG of several MB, sent from its file
ROOM = dict.fromkeys(
    ("MAX_CONCURRENT_JOBS", "MAX_JOBS_PER_SERVER", "MAX_RUNNING_PER_USER", "MAX_PENDING_PER_USER"), "10"
)


async def test_large_uploads_take_turns_and_small_ones_do_not_wait(bed: Bed) -> None:
    bed.extra_env.update(ROOM)
    bed.gateway.image_style = "textured"
    bed.discord.uploads_held.hold = release = asyncio.Event()
    discord = bed.discord
    async with bed.bot():
        large = [await discord.slash("alice", "imagine", "qwen", **LARGE) for _ in range(MAX_LARGE_UPLOADS + 2)]
        await discord.wait_for(lambda: discord.uploads_held.now == MAX_LARGE_UPLOADS, timeout=30)
        small = await discord.slash("bob", "imagine", "qwen", prompt="small", size="512*512")
        await discord.wait_for(lambda: discord.uploads_held.now == MAX_LARGE_UPLOADS + 1, timeout=30)
        await asyncio.sleep(0.3)  # time enough for another large one to start, were it not held back
        assert discord.uploads_held.now == MAX_LARGE_UPLOADS + 1
        release.set()
        results = [await result_of(discord, interaction, timeout=30) for interaction in (*large, small)]
    assert [len(message.attachments) for message in results] == [1] * (MAX_LARGE_UPLOADS + 3)
    assert discord.uploads_held.most == MAX_LARGE_UPLOADS + 1  # the small one went beside the large ones
    assert discord.errors == []
