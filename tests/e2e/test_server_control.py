"""Server control end to end: `/settings` for managers, `/preferences` and `/usage` for everyone."""

from __future__ import annotations

import re
import time

from bot.policy.allowance import DAY_SECONDS
from bot.storage import Status
from tests.bed import Bed
from tests.fakes.discord import Channel, Message

from .helpers import result_of, stored_job
from .test_jobs import job_id


async def ask(bed: Bed, user: str, name: str, subcommand: str | None = None, *, where: Channel | None = None,
              **options: object) -> Message:  # fmt: skip
    """Run a command in ``where`` and return its reply, checking that it is private and pings nobody."""
    interaction = await bed.discord.slash(user, name, subcommand, where, option_values=options)
    reply = await bed.discord.wait_original(interaction, lambda m: bool(m.text))
    assert reply.ephemeral_to == bed.discord.users[user].id, reply.text
    assert reply.mentions == [] and not reply.mention_everyone
    return reply


def manager(bed: Bed, user: str = "bob") -> str:
    bed.discord.managers.add(bed.discord.users[user].id)
    return user


def line(message: Message, start: str) -> str:
    """The reply's line that starts with ``start`` (a bullet is ignored)."""
    found = [ln.removeprefix("• ") for ln in message.text.splitlines() if ln.removeprefix("• ").startswith(start)]
    assert len(found) == 1, message.text
    return found[0]


def defaults_line(message: Message, model: str) -> str:
    lines = message.text.splitlines()
    return lines[lines.index(f"**Defaults: {model}**") + 1]


def button(message: Message, label: str) -> str:
    return next(c["custom_id"] for row in message.components for c in row["components"] if c.get("label") == label)


QWEN, WAN = "Qwen Image 2.0 Pro", "Wan 2.7 Image Pro"


async def test_settings_need_manage_server(bed: Bed) -> None:
    async with bed.bot():
        registered = bed.discord.registered("settings")
        assert int(registered["default_member_permissions"]) == 0x20  # hidden from members by default …
        assert registered.get("dm_permission") is False or registered.get("contexts") == [0]
        # … but an admin can grant the command to anyone, so every use is checked too.
        refused = await ask(bed, "alice", "settings", "limits", member_daily=1)
        assert "Manage Server" in refused.text
        assert "Manage Server" in (await ask(bed, "alice", "settings", "view")).text
        assert "Manage Server" in (await ask(bed, "alice", "settings", "reset")).text
        assert (await ask(bed, "alice", "settings", "reset")).components == []
        in_dm = await ask(bed, "mod", "settings", "view", where=bed.discord.dm_channel)
        assert "only exist in a server" in in_dm.text

        view = await ask(bed, manager(bed), "settings", "view")
        assert line(view, "Each member:") == "Each member: unlimited — bot default"  # alice changed nothing
        await ask(bed, "bob", "settings", "limits", member_daily=7)
        moderator_view = await ask(bed, "mod", "settings", "view")  # every permission includes Manage Server
    assert line(moderator_view, "Each member:") == "Each member: 7 images a day — server"


async def test_limits_and_role_limits(bed: Bed) -> None:
    bed.extra_env["DEFAULT_SERVER_DAILY_IMAGES"] = "100"
    admin = manager(bed)
    artist = bed.discord.roles["artist"].id
    async with bed.bot():
        before = await ask(bed, admin, "settings", "view")
        assert line(before, "Whole server:") == "Whole server: 100 images a day — bot default"
        assert line(before, "Most images per job:") == "Most images per job: the model's maximum — bot default"
        assert line(before, "Role limits:") == "Role limits: none — bot default"

        nothing = await ask(bed, admin, "settings", "limits")
        assert "give at least one option" in nothing.text
        saved = await ask(bed, admin, "settings", "limits", member_daily=5, server_daily=500, max_count=3)
        assert "Each member: 5 images a day — server" in saved.text
        await ask(bed, admin, "settings", "limits", member_daily=0)  # only what is given changes
        await ask(bed, admin, "settings", "role-limit", role="artist", member_daily=20)
        await ask(bed, admin, "settings", "role-limit", role="booster", member_daily=0)
        after = await ask(bed, admin, "settings", "view")

        removed = await ask(bed, admin, "settings", "role-limit", role="booster", member_daily=-1)
        assert "has no limit of its own now" in removed.text
        last = await ask(bed, admin, "settings", "view")
    assert line(after, "Each member:") == "Each member: unlimited — bot default"
    assert line(after, "Whole server:") == "Whole server: 100 images a day — bot limit (the server asks for 500)"
    assert line(after, "Most images per job:") == "Most images per job: 3 — server"
    booster = bed.discord.roles["booster"].id
    assert line(after, "Role limits:") == f"Role limits: <@&{artist}> 20 a day, <@&{booster}> unlimited — server"
    assert line(last, "Role limits:") == f"Role limits: <@&{artist}> 20 a day — server"


async def test_channel_lists_and_required_roles(bed: Bed) -> None:
    admin = manager(bed)
    general, art, thread = bed.discord.channel, bed.discord.other_channel, bed.discord.thread
    async with bed.bot():
        allowed = await ask(bed, admin, "settings", "channel", channel=general, mode="allow")
        assert f"<#{general.id}> is on the allow list" in allowed.text
        in_thread = await ask(bed, admin, "settings", "view", where=thread)
        in_art = await ask(bed, admin, "settings", "view", where=art)

        await ask(bed, admin, "settings", "channel", channel=general, mode="block")  # moves it to the other list
        blocked_thread = await ask(bed, admin, "settings", "view", where=thread)
        await ask(bed, admin, "settings", "channel", channel=general, mode="clear")

        required = await ask(bed, admin, "settings", "role", role="artist", mode="require")
        assert "members with Manage Server always can" in required.text
        with_role = await ask(bed, admin, "settings", "view")
        await ask(bed, admin, "settings", "role", role="artist", mode="clear")
        cleared = await ask(bed, admin, "settings", "view")
    assert line(in_thread, "Allowed channels:") == f"Allowed channels: <#{general.id}> — server"
    assert line(in_thread, "Here:") == "Here: allowed — server"  # a thread follows its parent
    assert line(in_art, "Here:") == "Here: not on the allow list — server"
    assert line(blocked_thread, "Allowed channels:") == "Allowed channels: all — bot default"
    assert line(blocked_thread, "Blocked channels:") == f"Blocked channels: <#{general.id}> — server"
    assert line(blocked_thread, "Here:") == "Here: blocked — server"
    artist = bed.discord.roles["artist"].id
    assert line(with_role, "Required roles:").startswith(f"Required roles: <@&{artist}> (")
    assert line(cleared, "Required roles:") == "Required roles: none — bot default"
    assert line(cleared, "Blocked channels:") == "Blocked channels: none — bot default"
    assert line(cleared, "Here:") == "Here: allowed (no channel lists) — bot default"


async def test_defaults_merge_are_validated_and_show_their_source(bed: Bed) -> None:
    admin = manager(bed)
    general, art = bed.discord.channel, bed.discord.other_channel
    async with bed.bot():
        first = await ask(bed, admin, "settings", "defaults", model="qwen", size="1024x1024")
        assert "Defaults for Qwen Image 2.0 Pro in this server: size `1024*1024`" in first.text
        await ask(bed, admin, "settings", "defaults", model="qwen", count=2, prompt_rewrite=False)  # merged
        await ask(bed, admin, "settings", "defaults", model="wan", size="1k", channel=art)
        await ask(bed, admin, "settings", "defaults", model="wan", image_set=True, count=8, channel=art)
        here = await ask(bed, admin, "settings", "view", where=general)
        there = await ask(bed, admin, "settings", "view", where=art)

        not_qwen = await ask(bed, admin, "settings", "defaults", model="qwen", thinking=True)
        too_big = await ask(bed, admin, "settings", "defaults", model="wan", size="4K", channel=art)  # image-set on
        bad_size = await ask(bed, admin, "settings", "defaults", model="qwen", size="5*5")
        too_many = await ask(bed, admin, "settings", "defaults", model="qwen", count=7)
        unchanged = await ask(bed, admin, "settings", "view", where=art)

        cleared = await ask(bed, admin, "settings", "defaults", model="wan", clear=True, channel=art)
        after_clear = await ask(bed, admin, "settings", "view", where=art)
    assert defaults_line(here, QWEN) == (
        "size `1024*1024` (server) · count 2 (server) · prompt_rewrite off (server) · watermark off (bot default)"
    )
    assert defaults_line(here, WAN) == (
        "size `2K` (bot default) · count 1 (bot default) · thinking on (bot default) · image_set off (bot default)"
        " · watermark off (bot default)"
    )
    assert defaults_line(there, WAN) == (
        "size `1K` (channel) · count 8 (channel) · thinking n/a (bot default) · image_set on (channel)"
        " · watermark off (bot default)"
    )
    assert "**thinking** is not an option of Qwen Image 2.0 Pro" in not_qwen.text
    assert "**size**" in too_big.text and "in image-set mode" in too_big.text
    assert "**size** must be W*H" in bad_size.text
    assert "**count** must be 1 to 6" in too_many.text
    assert defaults_line(unchanged, WAN) == defaults_line(there, WAN)  # refused changes leave nothing behind
    assert f"<#{art.id}> sets no defaults for Wan 2.7 Image Pro now" in cleared.text
    assert defaults_line(after_clear, WAN) == defaults_line(here, WAN)


async def test_blocklist(bed: Bed) -> None:
    admin = manager(bed)
    async with bed.bot():
        added = await ask(bed, admin, "settings", "blocklist", add="Cat, red  car, cat")
        assert "2 added, 0 removed" in added.text
        await ask(bed, admin, "settings", "blocklist", remove="CAT", add="dog")
        view = await ask(bed, admin, "settings", "view")
        long = await ask(bed, admin, "settings", "blocklist", add="x" * 101)
        await ask(bed, admin, "settings", "blocklist", add=", ".join(f"w{i}" for i in range(198)))
        full = await ask(bed, admin, "settings", "blocklist", add="one, two")
        last = await ask(bed, admin, "settings", "view")
    assert line(view, "**Blocklist**") == "**Blocklist**: 2 entries — server: `red car`, `dog`"
    assert "at most 100 characters" in long.text
    assert "at most 200 entries; this would make 202" in full.text
    assert line(last, "**Blocklist**").startswith("**Blocklist**: 200 entries — server: `red car`, `dog`, `w0`")
    assert len(last.text) <= 2000


async def test_reset_only_after_confirmation(bed: Bed) -> None:
    admin = manager(bed)
    async with bed.bot():
        await ask(bed, admin, "settings", "limits", member_daily=5)
        asked = await ask(bed, admin, "settings", "reset")
        assert "can't be undone" in asked.text
        still = await ask(bed, admin, "settings", "view")
        assert line(still, "Each member:") == "Each member: 5 images a day — server"

        stranger = await bed.discord.click("alice", asked, button(asked, "Reset everything"))
        refused = await bed.discord.wait_original(stranger, lambda m: bool(m.text))
        assert "belong to whoever ran the command" in refused.text
        cancel = await bed.discord.click(admin, asked, button(asked, "Cancel"))
        await bed.discord.wait_for(lambda: cancel.acknowledged)
        assert "nothing changed" in asked.text and asked.components == []
        kept = await ask(bed, admin, "settings", "view")

        again = await ask(bed, admin, "settings", "reset")
        confirm = await bed.discord.click(admin, again, button(again, "Reset everything"))
        await bed.discord.wait_for(lambda: confirm.acknowledged)
        assert "back to the bot's defaults" in again.text and again.components == []
        after = await ask(bed, admin, "settings", "view")
    assert line(kept, "Each member:") == "Each member: 5 images a day — server"
    assert line(after, "Each member:") == "Each member: unlimited — bot default"


async def test_preferences(bed: Bed) -> None:
    admin = manager(bed)
    async with bed.bot():
        await ask(bed, admin, "settings", "defaults", model="wan", size="1K")
        saved = await ask(bed, "alice", "preferences", "set", model="wan", thinking=False, count=2)
        assert "Your preferences for Wan 2.7 Image Pro: count 2, thinking off" in saved.text
        await ask(bed, "alice", "preferences", "set", model="wan", watermark=True)  # merged
        refused = await ask(bed, "alice", "preferences", "set", model="qwen", image_set=True)
        view = await ask(bed, "alice", "preferences", "view")
        in_dm = await ask(bed, "alice", "preferences", "view", where=bed.discord.dm_channel)
        others = await ask(bed, "carol", "preferences", "view")
        await ask(bed, "alice", "preferences", "reset")
        after = await ask(bed, "alice", "preferences", "view")
    assert "**image_set** is not an option of Qwen Image 2.0 Pro" in refused.text
    assert defaults_line(view, WAN) == (
        "size `1K` (server) · count 2 (you) · thinking off (you) · image_set off (bot default) · watermark on (you)"
    )
    assert "in direct messages" in in_dm.text
    assert defaults_line(in_dm, WAN).startswith("size `2K` (bot default) · count 2 (you)")  # no server here
    assert "(you)" not in others.text and "no preferences yet" in others.text
    assert "(you)" not in after.text


def resets(message: Message) -> int:
    found = re.search(r"reset <t:(\d+):R>", message.text)
    assert found is not None, message.text
    return int(found[1])


async def test_usage_starts_at_zero(bed: Bed) -> None:
    bed.extra_env["DEFAULT_MEMBER_DAILY_IMAGES"] = "10"
    admin = manager(bed)
    bed.discord.give_role("alice", "artist")
    async with bed.bot():
        mine = await ask(bed, "alice", "usage")
        await ask(bed, admin, "settings", "limits", server_daily=50)
        await ask(bed, admin, "settings", "role-limit", role="artist", member_daily=4)
        limited = await ask(bed, "alice", "usage")
        managers = await ask(bed, admin, "usage")
        in_dm = await ask(bed, "alice", "usage", where=bed.discord.dm_channel)
    assert "Your images today in this server**: 0 images" in mine.text
    assert line(mine, "Your allowance:") == "Your allowance: 10 a day, 10 left"
    assert line(mine, "**This server today**") == "**This server today**: 0 images · budget: unlimited"
    reset_at = resets(mine)
    assert reset_at % DAY_SECONDS == 0 and 0 < reset_at - time.time() <= DAY_SECONDS
    assert "Top members" not in mine.text
    assert line(limited, "Your allowance:") == "Your allowance: 4 a day, 4 left"  # the role's own limit
    assert line(limited, "**This server today**") == "**This server today**: 0 images · budget: 50 a day, 50 left"
    assert "**Top members today**\nNo images yet today." in managers.text
    assert "don't make images in direct messages" in in_dm.text


async def test_usage_in_direct_messages(bed: Bed) -> None:
    bed.extra_env |= {"ALLOW_DMS": "true", "DM_DAILY_IMAGES": "3"}
    async with bed.bot():
        in_dm = await ask(bed, "alice", "usage", where=bed.discord.dm_channel)
    assert "Your images today in direct messages**: 0 images" in in_dm.text
    assert line(in_dm, "Your allowance:") == "Your allowance: 3 a day, 3 left"
    assert "This server" not in in_dm.text


async def test_usage_counts_delivered_images(bed: Bed) -> None:
    bed.extra_env["DEFAULT_MEMBER_DAILY_IMAGES"] = "10"
    admin = manager(bed)
    async with bed.bot():
        job = await bed.discord.slash("alice", "imagine", "qwen", prompt="two cats", size="512*512", count=2)
        result = await result_of(bed.discord, job)
        assert len(result.attachments) == 2
        await stored_job(bed, job_id(result), Status.DONE)  # its images are counted when the job is recorded done
        mine = await ask(bed, "alice", "usage")
        managers = await ask(bed, admin, "usage")
    alice = bed.discord.users["alice"].id
    assert "Your images today in this server**: 2 images" in mine.text
    assert line(mine, "Your allowance:") == "Your allowance: 10 a day, 8 left"
    assert line(managers, "**This server today**") == "**This server today**: 2 images · budget: unlimited"
    assert f"**Top members today**\n1. <@{alice}> — 2" in managers.text


async def test_usage_counts_only_what_was_delivered(bed: Bed) -> None:
    from tests.fakes.gateway import Fault

    bed.extra_env["DEFAULT_MEMBER_DAILY_IMAGES"] = "20"
    async with bed.bot():
        bed.gateway.fail_next(Fault.MODERATION)
        failed = await result_of(bed.discord, await bed.discord.slash("alice", "imagine", "qwen", prompt="x"))
        await stored_job(bed, job_id(failed), Status.FAILED)
        bed.gateway.fail_next(Fault.FEWER)  # an image set that comes back one short: 3 of 4
        partial = await result_of(
            bed.discord,
            await bed.discord.slash("alice", "imagine", "wan", prompt="a set", size="1K", count=4, image_set=True),
        )
        await stored_job(bed, job_id(partial), Status.DONE)
        mine = await ask(bed, "alice", "usage")
    assert "content filter" in failed.text and len(partial.attachments) == 3
    assert "Your images today in this server**: 3 images" in mine.text  # the failure gave its image back
    assert line(mine, "Your allowance:") == "Your allowance: 20 a day, 17 left"
