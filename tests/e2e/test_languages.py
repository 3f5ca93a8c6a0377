"""Languages end to end: private replies in the member's language, public messages in the server's."""

from __future__ import annotations

import asyncio

from bot.policy import ServerPolicy
from bot.storage import Status
from tests.bed import Bed
from tests.fakes.discord import Message
from tests.fakes.discord._layout import walk

from .helpers import result_of, set_policy, stored_job
from .test_results import button, generate, job_of, modal_fields, reply_to
from .test_server_control import ask, manager


def labels(message: Message) -> list[str]:
    """The button labels under a message."""
    return [c["label"] for c in walk(message.components) if c.get("type") == 2 and "label" in c]


async def test_commands_are_described_in_chinese_with_english_names(bed: Bed) -> None:
    async with bed.bot():
        imagine = bed.discord.registered("imagine")  # as the local Discord validated and stored it
    assert imagine["name"] == "imagine" and not imagine.get("name_localizations")
    assert set(imagine["description_localizations"]) == {"zh-CN"}
    qwen = next(o for o in imagine["options"] if o["name"] == "qwen")
    prompt = next(o for o in qwen["options"] if o["name"] == "prompt")
    assert prompt["description"] == "What to draw" and prompt["description_localizations"]["zh-CN"]
    assert all(len(text) <= 100 for text in prompt["description_localizations"].values())
    settings = bed.discord.registered("settings")
    language = next(o for o in settings["options"] if o["name"] == "language")
    choices = {c["value"]: c for c in language["options"][0]["choices"]}
    assert set(choices) == {"auto", "en-US", "zh-CN"}
    assert choices["zh-CN"]["name"] == "简体中文 (zh-CN)" and choices["auto"]["name_localizations"]["zh-CN"]


async def test_a_chinese_member_reads_chinese_and_an_english_member_english(bed: Bed) -> None:
    bed.discord.set_locale("carol", "zh-CN")
    async with bed.bot():
        for user, expected, foreign in (("carol", "你填写的是", "You gave"), ("alice", "You gave", "你填写的是")):
            interaction = await bed.discord.slash(user, "imagine", "qwen", prompt="fox", size="9999x9999")
            refused = await bed.discord.wait_original(interaction, lambda m: bool(m.text))
            assert refused.ephemeral_to is not None
            assert expected in refused.text and foreign not in refused.text
            assert "**size**" in refused.text and "9999x9999" in refused.text  # the field and the value
        # One result, shown in the server's language (English here); its Info follows the presser.
        original = await generate(bed)
        chinese_info = await reply_to(bed, await bed.discord.click("carol", original, button(original, "info")))
        english_info = await reply_to(bed, await bed.discord.click("alice", original, button(original, "info")))
        chinese_jobs = await ask(bed, "carol", "jobs")
        english_jobs = await ask(bed, "alice", "jobs")
    assert "Same seed" in labels(original) and "seed `" in original.text
    assert chinese_info.embeds[0]["title"].startswith("任务")
    assert {f["name"] for f in chinese_info.embeds[0]["fields"]} >= {"模型", "尺寸", "种子"}
    assert {f["name"] for f in english_info.embeds[0]["fields"]} >= {"Model", "Size", "Seed"}
    assert chinese_jobs.text.startswith("你还没有图片任务")  # carol's only request was refused
    assert english_jobs.text.startswith("**Your recent jobs**")


async def test_refusals_follow_the_member_language(bed: Bed) -> None:
    bed.discord.set_locale("carol", "zh-CN")
    await set_policy(bed, lambda p: p.with_blocklist(add=["castle"], remove=[]))
    async with bed.bot():
        chinese = await ask(bed, "carol", "imagine", "qwen", prompt="a castle")
        english = await ask(bed, "alice", "imagine", "qwen", prompt="a castle")
    assert chinese.text.startswith("🚫 本服务器不允许") and "`castle`" in chinese.text
    assert english.text.startswith("🚫 This server doesn't allow `castle`")
    assert bed.gateway.requests == []


async def test_an_unsupported_locale_reads_english(bed: Bed) -> None:
    bed.discord.set_locale("carol", "fr")
    await bed.discord.set_guild_locale("fr")
    async with bed.bot():
        usage = await ask(bed, "carol", "usage")
        result = await generate(bed)
    assert usage.text.startswith("📊 **Your images today in this server**")
    assert "Same seed" in labels(result) and "Requested by" in result.text


async def test_a_chinese_server_gets_chinese_public_messages_also_after_a_restart(bed: Bed) -> None:
    await bed.discord.set_guild_locale("zh-CN")
    bed.gateway.hold = asyncio.Event()
    async with bed.bot():
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="a fox", size="512*512")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
    paused = bed.discord.original(interaction)
    assert paused is not None and "**已暂停**" in paused.text  # the shutdown notice, in the server's language
    bed.gateway.hold.set()
    async with bed.bot():
        result = await result_of(bed.discord, interaction, timeout=20)
        info = await reply_to(bed, await bed.discord.click("alice", result, button(result, "info")))
    assert "种子 `" in result.text and "1 张图片" in result.text and "重新运行" in result.text
    assert {"同种子", "换种子", "修改", "详情", "删除"} <= set(labels(result)), labels(result)
    assert info.embeds[0]["fields"][0]["name"] == "Model"  # alice's own client is English: Info is private
    record = await stored_job(bed, job_of(result), Status.DONE)
    assert record.locale == "zh-CN"


async def test_a_chinese_server_explains_failures_in_chinese(bed: Bed) -> None:
    await bed.discord.set_guild_locale("zh-CN")
    bed.gateway.fail_next_with(400, "DataInspectionFailed", "Input data may contain inappropriate content.")
    async with bed.bot():
        failed = await result_of(bed.discord, await bed.discord.slash("alice", "imagine", "qwen", prompt="x"))
    assert "内容审核" in failed.text and "content filter" not in failed.text
    assert failed.attachments == []


async def test_the_language_setting_overrides_the_server_locale_for_public_messages(bed: Bed) -> None:
    admin = manager(bed)
    bed.discord.set_locale(admin, "zh-CN")
    async with bed.bot():
        saved = await ask(bed, admin, "settings", "language", language="zh-CN")
        result = await generate(bed)  # alice's client is English; the server's messages are now Chinese
        usage = await ask(bed, "alice", "usage")  # private: still alice's English
        view = await ask(bed, admin, "settings", "view")
        back = await ask(bed, admin, "settings", "language", language="auto")
        again = await generate(bed)
    assert saved.text.startswith("✅") and "简体中文" in saved.text
    assert "同种子" in labels(result) and usage.text.startswith("📊 **Your images today")
    assert "**语言**" in view.text or "简体中文" in view.text
    assert "Same seed" in labels(again) and back.text.startswith("✅")


async def test_the_remix_form_follows_the_member_language(bed: Bed) -> None:
    bed.discord.set_locale("bob", "zh-CN")
    async with bed.bot():
        original = await generate(bed)
        click = await bed.discord.click("bob", original, button(original, "remix"))
        await bed.discord.wait_for(lambda: click.acknowledged)
    assert click.response["data"]["title"] == "修改并重新生成"  # type: ignore[index]
    assert "提示词" in modal_fields(click)


async def test_a_direct_message_follows_the_member(bed: Bed) -> None:
    bed.discord.set_locale("carol", "zh-CN")
    bed.extra_env["ALLOW_DMS"] = "true"
    async with bed.bot():
        interaction = await bed.discord.slash("carol", "imagine", "qwen", bed.discord.dm_channel, prompt="fox",
                                              size="512*512")  # fmt: skip
        result = await result_of(bed.discord, interaction)
    assert "同种子" in labels(result)


async def test_the_policy_language_is_kept_with_the_server(bed: Bed) -> None:
    await set_policy(bed, lambda p: p.with_language("zh-CN"))
    assert ServerPolicy().language == "auto"
    async with bed.bot():
        result = await generate(bed)
    assert "同种子" in labels(result)
