"""The local Discord's languages: members' and the server's locales, and localized command metadata it validates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.fakes.discord import FakeDiscord
from tests.fakes.discord.probe import probe, running_fake


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with running_fake() as discord:
        yield discord


def imagine(**extra: Any) -> dict[str, Any]:
    """/imagine with one option with choices; ``extra`` replaces fields of the command."""
    size = {"name": "size", "description": "Image size", "type": 3, "required": False,
            "choices": [{"name": "Square", "value": "1024*1024", "name_localizations": {"zh-CN": "方形"}}]}  # fmt: skip
    return {"name": "imagine", "description": "Make a picture", "type": 1, "options": [size]} | extra


def edit_image(**extra: Any) -> dict[str, Any]:
    return {"name": "Edit image", "type": 3} | extra


async def test_interactions_carry_the_members_and_the_servers_locale(fake: FakeDiscord) -> None:
    fake.set_locale("alice", "zh-CN")
    async with probe(fake) as bot:
        assert (await bot.event("GUILD_CREATE"))["preferred_locale"] == "en-US"
        assert (await bot.sync([imagine()]))[0] == 200
        await fake.set_guild_locale("zh-CN")
        assert (await bot.event("GUILD_UPDATE"))["preferred_locale"] == "zh-CN"
        await fake.slash("alice", "imagine")
        alice = await bot.event("INTERACTION_CREATE")
        await fake.slash("bob", "imagine")
        bob = await bot.event("INTERACTION_CREATE")
        await fake.slash("bob", "imagine", channel=fake.dm_channel)
        direct = await bot.event("INTERACTION_CREATE")
    assert (alice["locale"], alice["guild_locale"]) == ("zh-CN", "zh-CN")
    assert (bob["locale"], bob["guild_locale"]) == ("en-US", "zh-CN")
    assert direct["locale"] == "en-US" and "guild_locale" not in direct
    async with probe(fake) as again:  # a new session's GUILD_CREATE says so too
        assert (await again.event("GUILD_CREATE"))["preferred_locale"] == "zh-CN"


async def test_locales_are_discords_own(fake: FakeDiscord) -> None:
    with pytest.raises(ValueError, match="zh_CN"):
        fake.set_locale("alice", "zh_CN")
    with pytest.raises(ValueError, match="chinese"):
        await fake.set_guild_locale("chinese")


async def test_localizations_are_kept_in_the_synced_commands(fake: FakeDiscord) -> None:
    command = imagine(name_localizations={"zh-CN": "想象"}, description_localizations={"zh-CN": "画一张图"})
    menu = edit_image(name_localizations={"zh-CN": "编辑图片"})
    async with probe(fake) as bot:
        status, stored = await bot.sync([command, menu])
        assert status == 200
        _, listed = await bot.call("GET", f"/applications/{fake.application_id}/guilds/{fake.guild_id}/commands")
    assert listed == stored
    synced = fake.registered("imagine")
    assert synced["description_localizations"] == {"zh-CN": "画一张图"}
    assert synced["options"][0]["choices"][0]["name_localizations"] == {"zh-CN": "方形"}
    assert fake.registered("Edit image", kind=3)["name_localizations"] == {"zh-CN": "编辑图片"}
    with pytest.raises(KeyError):
        fake.registered("Edit image", kind=1)


def option(**extra: Any) -> dict[str, Any]:
    """/imagine whose option has ``extra`` fields."""
    return imagine(options=[{"name": "size", "description": "Image size", "type": 3} | extra])


@pytest.mark.parametrize(
    ("command", "where"),
    [
        (imagine(name_localizations={"zh": "想象"}), "0.name_localizations.zh"),
        (imagine(description_localizations={"klingon": "d"}), "0.description_localizations.klingon"),
        (imagine(name_localizations={"fr": "Imaginer"}), "0.name_localizations.fr"),
        (imagine(name_localizations={"fr": "faire image"}), "0.name_localizations.fr"),
        (imagine(name_localizations={"fr": "x" * 33}), "0.name_localizations.fr"),
        (imagine(description_localizations={"zh-CN": "长" * 101}), "0.description_localizations.zh-CN"),
        (imagine(description_localizations={"zh-CN": ""}), "0.description_localizations.zh-CN"),
        (option(name_localizations={"zh-CN": "尺 寸"}), "0.options.0.name_localizations.zh-CN"),
        (option(description_localizations={"zh-CN": "长" * 101}), "0.options.0.description_localizations.zh-CN"),
        (option(choices=[{"name": "n" * 101, "value": "v"}]), "0.options.0.choices.0.name"),
        (option(choices=[{"name": "", "value": "v"}]), "0.options.0.choices.0.name"),
        (option(choices=[{"name": "n", "value": "v", "name_localizations": {"xx": "n"}}]),
         "0.options.0.choices.0.name_localizations.xx"),
        (option(choices=[{"name": "n", "value": "v", "name_localizations": {"de": "n" * 101}}]),
         "0.options.0.choices.0.name_localizations.de"),
        (option(choices=[{"name": f"n{i}", "value": f"v{i}"} for i in range(26)]), "0.options.0.choices"),
        (edit_image(description="Edit the image"), "0.description"),
        (edit_image(name="E" * 33), "0.name"),
        (edit_image(name_localizations={"zh-CN": "编" * 33}), "0.name_localizations.zh-CN"),
        (edit_image(name_localizations={"zz": "编辑"}), "0.name_localizations.zz"),
        (edit_image(options=[{"name": "x", "description": "d", "type": 3}]), "0.options"),
    ],
)  # fmt: skip
async def test_command_localization_rules_are_50035(fake: FakeDiscord, command: dict[str, Any], where: str) -> None:
    async with probe(fake) as bot:
        status, answer = await bot.sync([command])
    assert (status, answer["code"], answer["message"]) == (400, 50035, "Invalid Form Body")
    assert where in answer["errors"], answer
    assert answer["errors"][where]["_errors"][0]["code"]


async def test_context_menu_names_may_have_capitals_and_spaces(fake: FakeDiscord) -> None:
    user_menu = {"name": "Show Info", "type": 2, "description": ""}
    async with probe(fake) as bot:
        status, _ = await bot.sync([edit_image(), user_menu, imagine()])
    assert status == 200
    assert fake.registered("Show Info", kind=2)["type"] == 2
