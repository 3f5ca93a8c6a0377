"""The job engine end to end: queue, fairness, limits, cancel, restarts, token expiry, permissions."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

from bot.storage import Job, Status, open_storage
from tests.bed import Bed
from tests.fakes.discord import Interaction, Message

from .helpers import attachment_bytes, expected_images, is_final, result_of, stored_job, strip_png_text


def job_id(message: Message) -> str:
    found = re.search(r"id `([0-9a-z]+)`", message.text)
    assert found is not None, message.text
    return found[1]


def one_at_a_time(bed: Bed) -> asyncio.Event:
    """One job at a time, and the gateway holds requests until the returned event is set."""
    bed.extra_env["MAX_CONCURRENT_JOBS"] = "1"
    bed.gateway.hold = asyncio.Event()
    return bed.gateway.hold


async def queued(bed: Bed, user: str, prompt: str, **options: object) -> tuple[Interaction, Message]:
    interaction = await bed.discord.slash(user, "imagine", "qwen", prompt=prompt, size="512*512", **options)
    shown = ("**Queued**", "**Generating**")  # a job that can start at once skips "queued"
    message = await bed.discord.wait_original(interaction, lambda m: any(s in m.text for s in shown) or is_final(m))
    return interaction, message


async def test_queue_positions_and_fair_order(bed: Bed) -> None:
    release = one_at_a_time(bed)
    async with bed.bot():
        first, _ = await queued(bed, "alice", "a1")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        a2, a2_message = await queued(bed, "alice", "a2")
        a3, _ = await queued(bed, "alice", "a3")
        b1, _ = await queued(bed, "bob", "b1")
        c1, c1_message = await queued(bed, "carol", "c1")
        await bed.discord.wait_for(lambda: "position 1 of 4" in a2_message.text)
        await bed.discord.wait_for(lambda: "position 3 of 4" in c1_message.text)  # before alice's third
        assert a2_message.custom_ids == [f"img:cancel:{job_id(a2_message)}"]
        release.set()
        for interaction in (first, a2, a3, b1, c1):
            assert len((await result_of(bed.discord, interaction)).attachments) == 1
    prompts = [body["input"]["messages"][0]["content"][0]["text"] for body in bed.gateway.requests]  # type: ignore[index]
    assert prompts == ["a1", "a2", "b1", "c1", "a3"]
    assert bed.gateway.max_in_flight == 1
    assert bed.discord.errors == []


async def test_cancel_before_start(bed: Bed) -> None:
    release = one_at_a_time(bed)
    async with bed.bot():
        running, _ = await queued(bed, "alice", "running")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        _, message = await queued(bed, "alice", "never sent")
        cancel_id = message.custom_ids[0]

        stranger = await bed.discord.click("bob", message, cancel_id)
        refusal = await bed.discord.wait_original(stranger, lambda m: bool(m.text))
        assert refusal.ephemeral_to == bed.discord.users["bob"].id and "can cancel this job" in refusal.text

        owner = await bed.discord.click("alice", message, cancel_id)
        await bed.discord.wait_for(lambda: owner.acknowledged)
        assert owner.ack_type == 7  # the status message itself is updated
        assert "**Cancelled**" in message.text and message.custom_ids == []
        release.set()
        await result_of(bed.discord, running)
        await asyncio.sleep(0.3)
    prompts = [body["input"]["messages"][0]["content"][0]["text"] for body in bed.gateway.requests]  # type: ignore[index]
    assert prompts == ["running"]


async def test_moderator_can_cancel_someone_elses_job(bed: Bed) -> None:
    release = one_at_a_time(bed)
    async with bed.bot():
        await queued(bed, "alice", "running")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        _, message = await queued(bed, "bob", "spam")
        click = await bed.discord.click("mod", message, message.custom_ids[0])
        await bed.discord.wait_for(lambda: click.acknowledged)
        assert f"Cancelled** by <@{bed.discord.users['mod'].id}>" in message.text
        release.set()


async def test_per_user_limit_names_the_numbers(bed: Bed) -> None:
    bed.extra_env["MAX_PENDING_PER_USER"] = "2"
    release = one_at_a_time(bed)
    async with bed.bot():
        await queued(bed, "alice", "one")
        await queued(bed, "alice", "two")
        third = await bed.discord.slash("alice", "imagine", "qwen", prompt="three", size="512*512")
        refusal = await bed.discord.wait_original(third, lambda m: bool(m.text))
        assert refusal.ephemeral_to is not None
        assert "You already have 2 jobs waiting or generating, and the limit is 2 per person" in refusal.text
        other, _ = await queued(bed, "bob", "bob is not limited by alice")
        release.set()
        await result_of(bed.discord, other)


async def test_double_click_starts_one_job(bed: Bed) -> None:
    async with bed.bot():
        first = await bed.discord.slash("alice", "imagine", "qwen", prompt="x", size="512*512")
        original = await result_of(bed.discord, first)
        clicks = [await bed.discord.click("alice", original, original.custom_ids[0]) for _ in range(2)]
        results = [await bed.discord.wait_original(c, lambda m: is_final(m) or m.ephemeral_to is not None)
                   for c in clicks]  # fmt: skip
        # Both presses race to admission: whichever is admitted first starts the job, the other is refused.
        (refused,) = [r for r in results if r.ephemeral_to is not None]
        (started,) = [c for c, r in zip(clicks, results, strict=True) if r is not refused]
        await result_of(bed.discord, started)
        assert "first click already started a job" in refused.text
        other = await bed.discord.click("bob", original, original.custom_ids[0])  # another user may click
        await result_of(bed.discord, other)
    assert len(bed.gateway.requests) == 3


async def test_kill_with_queued_and_running_jobs_delivers_each_exactly_once(bed: Bed) -> None:
    bed.extra_env["MAX_CONCURRENT_JOBS"] = "1"
    bed.gateway.latency = 1.0
    async with bed.bot_process() as first:
        interactions = [(await queued(bed, user, f"job {user}"))[0] for user in ("alice", "bob", "carol")]
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        await first.kill()  # no chance to clean up
    bed.gateway.latency = 0.1
    async with bed.bot_process():
        results = [await result_of(bed.discord, i, timeout=30) for i in interactions]
        await asyncio.sleep(0.5)  # anything duplicated would show up now
    for interaction, message in zip(interactions, results, strict=True):
        assert len(message.attachments) == 1, message.text
        assert message.id == interaction.original_id  # delivered on the status message itself
    assert "restarted while this was generating, so it ran again" in results[0].text
    assert "Resumed after a restart" in results[1].text
    posted = [m for m in bed.discord.channel_messages() if m.attachments]
    assert len(posted) == 3  # nothing delivered twice
    prompts = Counter(b["input"]["messages"][0]["content"][0]["text"] for b in bed.gateway.requests)  # type: ignore[index]
    assert prompts["job bob"] == 1 and prompts["job carol"] == 1 and prompts["job alice"] in (1, 2)


async def test_sigterm_finishes_running_and_resumes_queued(bed: Bed) -> None:
    bed.extra_env["MAX_CONCURRENT_JOBS"] = "1"
    bed.gateway.latency = 1.0
    async with bed.bot_process() as first:
        running, _ = await queued(bed, "alice", "in flight")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        waiting, status_message = await queued(bed, "bob", "waiting")
        assert await first.terminate() == 0
        assert len((await result_of(bed.discord, running, timeout=1)).attachments) == 1
        assert "**Paused**" in status_message.text
        assert "stopped" in first.output
    async with bed.bot_process():
        message = await result_of(bed.discord, waiting, timeout=30)
    assert len(message.attachments) == 1 and "Resumed after a restart" in message.text
    assert len(bed.gateway.requests) == 2


async def test_job_finishing_20_minutes_later_is_still_delivered(bed: Bed) -> None:
    bed.gateway.latency = 1.0
    async with bed.bot():
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="slow", size="512*512")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        bed.discord.advance(20 * 60)  # the interaction token is now expired
        message = await result_of(bed.discord, interaction, timeout=10)
    assert attachment_bytes(message) == expected_images(bed.gateway.requests[0])
    assert message.id == interaction.original_id  # the status message, edited with the bot token
    assert any(code == 50027 for _, _, code in bed.discord.errors)  # the webhook route was refused first


async def test_failure_after_token_expiry_is_reported_with_retry(bed: Bed) -> None:
    from tests.fakes.gateway import Fault

    bed.gateway.latency = 1.0
    bed.gateway.fail_next(Fault.QUOTA)
    async with bed.bot():
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="late failure", size="512*512")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        bed.discord.advance(20 * 60)
        message = await result_of(bed.discord, interaction)
    assert "out of credits" in message.text and message.custom_ids


async def test_missing_send_permission_is_said_up_front(bed: Bed) -> None:
    bed.discord.channel.bot_can_send = False
    bed.gateway.latency = 0.3
    async with bed.bot():
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="no perms", size="512*512")
        status_message = await bed.discord.wait_original(interaction, lambda m: "can't post" in m.text)
        assert "within 15 minutes" in status_message.text
        message = await result_of(bed.discord, interaction)
    assert len(message.attachments) == 1  # delivered through the interaction while the token lasts


async def test_undeliverable_result_is_kept(bed: Bed) -> None:
    bed.discord.channel.bot_can_send = False
    bed.gateway.latency = 1.0
    async with bed.bot():
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="kept", size="512*512")
        status_message = await bed.discord.wait_original(interaction, lambda m: "can't post" in m.text)
        status_message.deleted = True  # someone deleted it; the bot may not post a new one
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        bed.discord.advance(20 * 60)
        generation_id = job_id(status_message)
        kept = bed.data_dir / "undelivered" / generation_id
        await bed.discord.wait_for(lambda: kept.is_dir() and any(kept.iterdir()))
        record = await bed_record(bed, generation_id)
    assert record is not None and record.error is not None and record.error.startswith("undeliverable")
    assert [strip_png_text(p.read_bytes()) for p in sorted(kept.iterdir())] == expected_images(bed.gateway.requests[0])


async def bed_record(bed: Bed, job_id: str) -> Job | None:
    async with open_storage(bed.settings().database_url) as storage:
        return await storage.jobs.get(job_id)


async def test_job_timeout_fails_with_retry(bed: Bed) -> None:
    bed.extra_env["JOB_TIMEOUT"] = "0.5"
    bed.gateway.latency = 3.0
    async with bed.bot():
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="too slow", size="512*512")
        message = await result_of(bed.discord, interaction)
    assert "did not finish in time" in message.text and message.custom_ids


async def test_jobs_and_queue_commands(bed: Bed) -> None:
    release = one_at_a_time(bed)
    async with bed.bot():
        release.set()
        done, _ = await queued(bed, "alice", "finished one")
        finished = await result_of(bed.discord, done)
        release.clear()
        await queued(bed, "alice", "running one")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        _, waiting = await queued(bed, "alice", "waiting one")

        jobs = await bed.discord.slash("alice", "jobs")
        listing = await bed.discord.wait_original(jobs, lambda m: bool(m.text))
        queue = await bed.discord.slash("alice", "queue")
        summary = await bed.discord.wait_original(queue, lambda m: bool(m.text))
        release.set()
    assert listing.ephemeral_to is not None and summary.ephemeral_to is not None
    assert f"`{job_id(finished)}` done" in listing.text
    assert f"`{job_id(waiting)}` queued, position 1" in listing.text
    assert f"/{bed.discord.guild_id}/{bed.discord.channel.id}/{finished.id})" in listing.text
    assert "1 generating · ⏳ 1 waiting" in summary.text
    assert f"`{job_id(waiting)}` — position 1 of 1" in summary.text


async def test_a_job_that_starts_at_once_is_never_shown_as_queued(bed: Bed) -> None:
    async with bed.bot():
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="quick", size="512*512")
        message = await result_of(bed.discord, interaction)
        await asyncio.sleep(0.5)  # a stray status edit would land now
    assert message.revisions == 1  # straight to the result: no "queued" (nor, this quick, "generating") edit
    assert len(message.attachments) == 1


async def test_a_job_whose_acknowledgement_fails_never_runs(bed: Bed) -> None:
    bed.discord.ack_deadline = 0.0  # Discord answers 10062: the user saw "interaction failed"
    async with bed.bot():
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="never acked", size="512*512")
        await bed.discord.wait_for(lambda: any(code == 10062 for _, _, code in bed.discord.errors))
        await asyncio.sleep(0.3)
    assert not interaction.acknowledged and bed.gateway.requests == []
    async with open_storage(bed.settings().database_url) as storage:
        (record,) = await storage.jobs.recent_for_user(bed.discord.users["alice"].id)
    assert record.status is Status.CANCELLED  # recorded, and not resumed by a later start


async def test_a_job_interrupted_by_a_shutdown_says_paused_and_runs_again(bed: Bed) -> None:
    bed.gateway.hold = asyncio.Event()
    async with bed.bot():
        interaction, _ = await queued(bed, "alice", "interrupted")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
    paused = bed.discord.original(interaction)
    assert paused is not None and "**Paused**" in paused.text  # shutdown with no grace: given back
    bed.gateway.hold.set()
    async with bed.bot():
        message = await result_of(bed.discord, interaction, timeout=20)
    assert len(message.attachments) == 1 and "ran again" in message.text


async def test_a_result_posted_anew_carries_the_nonce_recorded_before_posting(bed: Bed) -> None:
    bed.gateway.hold = asyncio.Event()
    async with bed.bot():
        _, status_message = await queued(bed, "alice", "reposted")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        status_message.deleted = True  # someone deleted it: the result must be posted as a new message
        bed.discord.advance(20 * 60)  # and the interaction's token has expired
        bed.gateway.hold.set()
        posted = await bed.discord.wait_for(
            lambda: next((m for m in bed.discord.channel_messages() if m.attachments), None)
        )
        record = await stored_job(bed, job_id(posted), Status.DONE)
    assert record.delivery_nonce and posted.nonce is not None and posted.nonce.startswith(record.delivery_nonce)
