"""Acknowledgements that arrive while a claim runs share the next claim's transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from bot.storage.jobs import Acknowledgement
from tests.bed import Bed

from .helpers import result_of
from .test_results import job_of

ROOM = dict.fromkeys(("MAX_CONCURRENT_JOBS", "MAX_JOBS_PER_SERVER", "MAX_RUNNING_PER_USER"), "10")


async def test_acknowledgements_made_during_a_claim_share_the_next_one(bed: Bed) -> None:
    bed.extra_env.update(ROOM)
    async with bed.bot() as bot:
        store = bot.jobs._store
        claim_many = store.claim_many
        carried: list[int] = []  # how many acknowledgements each claim recorded
        release = asyncio.Event()

        async def slow_first_claim(*args: Any, acknowledged: Sequence[Acknowledgement] = (), **kwargs: Any) -> Any:
            if acknowledged:
                carried.append(len(acknowledged))
                if len(carried) == 1:
                    await release.wait()  # the first command's claim is slow: the others are answered meanwhile
            return await claim_many(*args, acknowledged=acknowledged, **kwargs)

        store.claim_many = slow_first_claim  # type: ignore[method-assign]
        first = await bed.discord.slash("alice", "imagine", "qwen", prompt="first", size="512*512")
        await bed.discord.wait_for(lambda: carried == [1])
        others = [await bed.discord.slash("alice", "imagine", "qwen", prompt=f"p{i}", size="512*512") for i in range(4)]
        await bed.discord.wait_for(lambda: len(bot.jobs._answered) == 4)  # all answered, none recorded yet
        release.set()
        results = [await result_of(bed.discord, interaction) for interaction in (first, *others)]
    assert carried == [1, 4]  # one claim recorded the four, not four claims one after another
    assert [len(message.attachments) for message in results] == [1] * 5


async def test_when_the_claim_fails_the_acknowledgement_is_kept_and_the_job_still_runs(bed: Bed) -> None:
    async with bed.bot() as bot:
        store = bot.jobs._store
        claim_many = store.claim_many
        failed: list[int] = []

        async def failing_once(*args: Any, acknowledged: Sequence[Acknowledgement] = (), **kwargs: Any) -> Any:
            if acknowledged and not failed:
                failed.append(len(acknowledged))
                raise OSError("the database went away for a moment")
            return await claim_many(*args, acknowledged=acknowledged, **kwargs)

        store.claim_many = failing_once  # type: ignore[method-assign]
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="later", size="512*512")
        message = await result_of(bed.discord, interaction)  # claimed by the claim loop instead, unseen
        job = await store.get(job_of(message))
    assert failed == [1]
    assert len(message.attachments) == 1
    assert job is not None and job.acknowledged_at is not None and job.status_message_id == message.id
    assert not any("went wrong" in m.text for m in bed.discord.messages.values())  # nobody told to retry
    assert bed.discord.errors == []
