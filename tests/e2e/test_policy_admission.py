"""Server policy and daily allowances at admission: every refusal, from a command and from a button.

The policy is written the way ``/settings`` writes it (through the policy store); the commands
themselves are tested in ``test_server_control.py``.
"""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from bot.policy import ChannelMode, ModelDefaults
from bot.policy.preferences import MemberPreferences
from bot.storage import Status, open_storage
from tests.bed import Bed
from tests.fakes.discord import Interaction, Message

from .helpers import result_of, set_policy, stored_job


async def refusal(bed: Bed, interaction: Interaction) -> Message:
    message = await bed.discord.wait_original(interaction, lambda m: bool(m.text))
    assert message.ephemeral_to == interaction.user.id, message.text
    return message


async def imagine(bed: Bed, user: str = "alice", **options: object) -> Interaction:
    options = {"prompt": "a lighthouse", "size": "512*512", **options}
    return await bed.discord.slash(user, "imagine", "qwen", **options)


async def test_a_channel_outside_the_allowed_ones_is_refused_by_commands_and_buttons(bed: Bed) -> None:
    async with bed.bot():
        original = await result_of(bed.discord, await imagine(bed))
        await set_policy(bed, lambda p: p.with_channel(bed.discord.other_channel.id, ChannelMode.ALLOW))
        by_command = await refusal(bed, await imagine(bed))
        by_button = await refusal(bed, await bed.discord.click("bob", original, original.custom_ids[0]))
        allowed = await result_of(bed.discord, await imagine(bed, channel=bed.discord.other_channel))
    for message in (by_command, by_button):
        assert "isn't enabled in this channel" in message.text
        assert f"<#{bed.discord.other_channel.id}>" in message.text
    assert len(allowed.attachments) == 1
    assert len(bed.gateway.requests) == 2  # nothing refused reached the gateway


async def test_a_blocked_channel_blocks_its_threads_too(bed: Bed) -> None:
    async with bed.bot():
        await set_policy(bed, lambda p: p.with_channel(bed.discord.channel.id, ChannelMode.BLOCK))
        in_channel = await refusal(bed, await imagine(bed))
        in_thread = await refusal(bed, await imagine(bed, channel=bed.discord.thread))
        elsewhere = await result_of(bed.discord, await imagine(bed, channel=bed.discord.other_channel))
    assert "turned off in this channel" in in_channel.text and "turned off" in in_thread.text
    assert len(elsewhere.attachments) == 1 and len(bed.gateway.requests) == 1


async def test_a_required_role_lets_its_members_and_managers_through(bed: Bed) -> None:
    artist = bed.discord.roles["artist"]
    bed.discord.give_role("bob", "artist")
    bed.discord.managers.add(bed.discord.users["carol"].id)
    async with bed.bot():
        await set_policy(bed, lambda p: p.with_required_role(artist.id, True))
        refused = await refusal(bed, await imagine(bed, "alice"))
        member = await result_of(bed.discord, await imagine(bed, "bob"))
        manager = await result_of(bed.discord, await imagine(bed, "carol"))
    assert f"<@&{artist.id}>" in refused.text and refused.mentions == []
    assert len(member.attachments) == 1 and len(manager.attachments) == 1


async def test_max_count_and_blocked_words_are_refused_before_the_gateway(bed: Bed) -> None:
    async with bed.bot():
        await set_policy(bed, lambda p: p.with_limits(max_count=2).with_blocklist(add=["red car"]))
        too_many = await refusal(bed, await imagine(bed, count=3))
        blocked = await refusal(bed, await imagine(bed, prompt="A RED  car at night"))
        blocked_negative = await refusal(bed, await imagine(bed, negative_prompt="no red car please"))
        fine = await result_of(bed.discord, await imagine(bed, prompt="a red carpet", count=2))
    assert "at most 2 images per job" in too_many.text
    assert "`red car`" in blocked.text and "`red car`" in blocked_negative.text
    assert len(fine.attachments) == 2 and len(bed.gateway.requests) == 1


async def test_direct_messages_are_refused_unless_allowed(bed: Bed) -> None:
    async with bed.bot():
        refused = await refusal(bed, await imagine(bed, channel=bed.discord.dm_channel))
    assert "direct messages" in refused.text and bed.gateway.requests == []


async def test_direct_messages_have_their_own_allowance_when_allowed(bed: Bed) -> None:
    bed.extra_env.update({"ALLOW_DMS": "true", "DM_DAILY_IMAGES": "1"})
    async with bed.bot():
        first = await result_of(bed.discord, await imagine(bed, channel=bed.discord.dm_channel))
        second = await refusal(bed, await imagine(bed, channel=bed.discord.dm_channel))
    assert len(first.attachments) == 1
    assert "direct messages: 1 of 1 images used today" in second.text


async def test_a_spent_allowance_says_which_how_much_and_when_it_resets(bed: Bed) -> None:
    async with bed.bot():
        await set_policy(bed, lambda p: p.with_limits(member_daily=3, server_daily=4))
        await result_of(bed.discord, await imagine(bed, "alice", count=2))
        member = await refusal(bed, await imagine(bed, "alice", count=2))  # 2 + 2 > 3
        last = await result_of(bed.discord, await imagine(bed, "alice"))  # 2 + 1 = 3: allowed
        server = await refusal(bed, await imagine(bed, "bob", count=2))  # 3 + 2 > 4
    assert "your daily allowance in this server: 2 of 3 images used today" in member.text
    assert "this server's daily allowance: 3 of 4 images used today" in server.text
    midnight = (int(time.time()) // 86400 + 1) * 86400
    assert f"<t:{midnight}:R>" in member.text
    assert len(last.attachments) == 1 and len(bed.gateway.requests) == 2


async def test_a_failed_job_gives_its_images_back(bed: Bed) -> None:
    from tests.fakes.gateway import Fault

    bed.gateway.fail_next(Fault.MODERATION)
    async with bed.bot():
        await set_policy(bed, lambda p: p.with_limits(member_daily=1))
        failed = await result_of(bed.discord, await imagine(bed))
        # The failure is recorded (and its images given back) just after it is shown.
        await stored_job(bed, re.findall(r"id `([0-9a-z]+)`", failed.text)[-1], Status.FAILED)
        again = await result_of(bed.discord, await imagine(bed))
    assert "content filter" in failed.text and len(again.attachments) == 1


async def test_defaults_apply_member_over_channel_over_server_over_the_model(bed: Bed) -> None:
    async with bed.bot():
        await set_policy(
            bed,
            lambda p: p.with_defaults("qwen", ModelDefaults(size="1024*1024", count=3, watermark=True)).with_defaults(
                "qwen", ModelDefaults(count=2, prompt_extend=False), channel_id=bed.discord.channel.id
            ),
        )
        async with open_storage(bed.settings().database_url) as storage:
            preference = MemberPreferences.from_dict({}).with_defaults("qwen", ModelDefaults(watermark=False))
            await storage.policies.set_preferences(bed.discord.users["alice"].id, preference.to_dict(), now=1.0)
        await result_of(bed.discord, await bed.discord.slash("alice", "imagine", "qwen", prompt="defaults"))
        plain = bed.gateway.requests[-1]
        await result_of(bed.discord, await bed.discord.slash("bob", "imagine", "qwen", prompt="b", size="512*512"))
        typed = bed.gateway.requests[-1]
    # server: size (1024²); channel: count 2 over the server's 3, rewriting off; member: no watermark
    assert (plain["size"], plain["n"], plain["prompt_extend"], plain["watermark"]) == ("1024*1024", 2, False, False)
    # what bob typed wins; the rest comes from the server and the channel (bob has no preference)
    assert (typed["size"], typed["n"], typed["watermark"]) == ("512*512", 2, True)


async def test_a_burst_of_thirty_clicks_makes_exactly_the_allowance(bed: Bed) -> None:
    bed.extra_env["MAX_PENDING_PER_USER"] = "50"
    bed.discord.give_role("bob", "patron")
    async with bed.bot():
        patron = bed.discord.roles["patron"].id
        await set_policy(bed, lambda p: p.with_limits(member_daily=5).with_role_limit(patron, 100))
        results = [await result_of(bed.discord, await imagine(bed, "bob", prompt=f"source {i}")) for i in range(15)]
        before = len(bed.gateway.requests)
        buttons = [(message, custom_id) for message in results for custom_id in message.custom_ids[:2]]
        clicks = await asyncio.gather(*(bed.discord.click("alice", m, custom_id) for m, custom_id in buttons))
        answers = [await bed.discord.wait_original(c, lambda m: bool(m.text) and not m.loading) for c in clicks]
        accepted = [c for c, a in zip(clicks, answers, strict=True) if a.ephemeral_to is None]
        for interaction in accepted:
            await result_of(bed.discord, interaction, timeout=30)
    assert len(clicks) == 30 and len(accepted) == 5
    assert len(bed.gateway.requests) - before == 5
    refused = [a for a in answers if a.ephemeral_to is not None]
    assert len(refused) == 25
    assert all("your daily allowance in this server: 5 of 5 images used today" in a.text for a in refused)


REFUSED_BY_POLICY = {
    "blocked channel": (lambda bed: lambda p: p.with_channel(bed.discord.channel.id, ChannelMode.BLOCK), "turned off"),
    "required role": (lambda bed: lambda p: p.with_required_role(bed.discord.roles["artist"].id, True), "needs one of"),
    "max count": (lambda bed: lambda p: p.with_limits(max_count=1), "at most 1 images per job"),
    "blocked word": (lambda bed: lambda p: p.with_blocklist(add=["lighthouse"]), "`lighthouse`"),
    "allowance": (lambda bed: lambda p: p.with_limits(member_daily=2), "2 of 2 images used today"),
}


@pytest.mark.parametrize("case", list(REFUSED_BY_POLICY))
async def test_every_refusal_applies_to_old_results_buttons_too(bed: Bed, case: str) -> None:
    change, expected = REFUSED_BY_POLICY[case]
    async with bed.bot():
        original = await result_of(bed.discord, await imagine(bed, "alice", count=2))
        await set_policy(bed, change(bed))
        same, new = original.custom_ids[0], original.custom_ids[1]
        by_button = await refusal(bed, await bed.discord.click("alice", original, same))
        by_other_button = await refusal(bed, await bed.discord.click("alice", original, new))
        by_command = await refusal(bed, await imagine(bed, "alice", count=2))
    for message in (by_button, by_other_button, by_command):
        assert expected in message.text, message.text
    assert len(bed.gateway.requests) == 1  # only the original: nothing refused reached the gateway
