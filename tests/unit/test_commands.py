"""Every extension loads, and its commands respect Discord's limits (checked by the local Discord too)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.client import EXTENSIONS, ImagineBot
from bot.gateway import GatewayClient
from bot.settings import Secret, Settings
from bot.storage import Storage
from bot.ui.buttons import NewSeedButton, SameSeedButton
from tests.fakes.discord._limits import check_commands
from tests.fakes.discord._spec import load_validator
from tests.paths import DISCORD_OPENAPI

NAME = re.compile(r"^[-_a-z0-9]{1,32}$")


@pytest.fixture
async def loaded_bot() -> AsyncIterator[ImagineBot]:
    settings = Settings(discord_token=Secret("t"), gateway_api_key=Secret("k"))
    async with aiohttp.ClientSession() as session, Storage.open(":memory:") as storage:
        gateway = GatewayClient(session, base_url="http://127.0.0.1:9", api_key="k")
        bot = ImagineBot(settings=settings, storage=storage, gateway=gateway)
        for extension in EXTENSIONS:
            await bot.load_extension(extension)
        yield bot
        await bot.close()


def walk(options: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(path, options) for every command level that holds plain options."""
    out = []
    plain = [o for o in options if o["type"] not in (1, 2)]
    if plain or not options:
        out.append(("", plain))
    for option in options:
        if option["type"] in (1, 2):
            out += [(f"{option['name']} {p}".strip(), opts) for p, opts in walk(option.get("options", []))]
    return out


async def test_every_extension_respects_discord_limits(loaded_bot: ImagineBot) -> None:
    payload = [command.to_dict(loaded_bot.tree) for command in loaded_bot.tree.get_commands()]
    assert {c["name"] for c in payload} == {"imagine", "jobs", "queue"}
    for command in payload:
        assert NAME.match(command["name"]) and 1 <= len(command["description"]) <= 100
        levels = walk(command.get("options", []))
        assert levels
        for path, options in levels:
            assert len(options) <= 25, path
            required = [o.get("required", False) for o in options]
            assert required == sorted(required, reverse=True), f"required options must come first in {path}"
            for option in options:
                assert NAME.match(option["name"]), option["name"]
                assert 1 <= len(option["description"]) <= 100, (path, option["name"], option["description"])
    check_commands(payload)  # the local Discord's own rules
    if DISCORD_OPENAPI.is_file():
        load_validator(DISCORD_OPENAPI).validate("put", "/applications/{application_id}/commands", payload)


async def test_subcommands_have_user_facing_descriptions(loaded_bot: ImagineBot) -> None:
    group = loaded_bot.tree.get_command("imagine")
    assert isinstance(group, app_commands.Group)
    descriptions = {c.name: c.description for c in group.commands}
    assert descriptions == {"qwen": "Generate images with Qwen Image 2.0 Pro.",
                            "wan": "Generate images with Wan 2.7 Image Pro."}  # fmt: skip


@pytest.mark.parametrize("item_type", [SameSeedButton, NewSeedButton])
async def test_custom_ids_round_trip(item_type: type[SameSeedButton | NewSeedButton]) -> None:
    for generation_id in ("a", "0suwgwxi", "z" * 16):
        item = item_type(generation_id)
        custom_id = item.custom_id
        assert 1 <= len(custom_id) <= 100 and generation_id in custom_id
        match = item_type.__discord_ui_compiled_template__.fullmatch(custom_id)
        assert match is not None
        rebuilt = await item_type.from_custom_id(None, discord.ui.Button(), match)  # type: ignore[arg-type]
        assert rebuilt.generation_id == generation_id and rebuilt.custom_id == custom_id
    assert SameSeedButton.__discord_ui_compiled_template__.fullmatch(NewSeedButton("abc").custom_id) is None
    assert SameSeedButton.__discord_ui_compiled_template__.fullmatch("img:same:ABC") is None
