"""Every extension loads, and its commands respect Discord's limits (checked by the local Discord too)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.catalogue import CATALOGUE
from bot.client import EXTENSIONS, ImagineBot
from bot.gateway import GatewayClient
from bot.gateway.models import GenerationRequest
from bot.i18n import available_locales
from bot.settings import Secret, Settings
from bot.storage import Action, Job, Status, open_storage
from bot.ui.buttons import LOOKS, ResultButton
from bot.ui.language import CatalogueTranslator
from bot.ui.layout import extra_actions, result_layout
from tests.fakes.discord._layout import walk as walk_components
from tests.fakes.discord._limits import check_commands
from tests.fakes.discord._spec import load_validator
from tests.paths import DISCORD_OPENAPI

NAME = re.compile(r"^[-_a-z0-9]{1,32}$")
MAX_COMPONENTS = 40  # Discord's limit for one Components V2 message, nested components included
JOB = Job(
    id="abc", parent_id=None, action=Action.IMAGINE, guild_id=1, channel_id=2, user_id=3,
    request=GenerationRequest(model="qwen-image-2.0-pro", prompt="p", size="1024*1024", n=1, seed=1),
    status=Status.DONE, message_id=None, image_count=1, gateway_request_id=None, error=None, created_at=0.0,
    started_at=None, finished_at=None,
)  # fmt: skip


@pytest.fixture
async def loaded_bot(tmp_path: Path) -> AsyncIterator[ImagineBot]:
    settings = Settings(discord_token=Secret("t"), gateway_api_key=Secret("k"), data_dir=tmp_path)
    async with aiohttp.ClientSession() as session, open_storage(f"sqlite:///{tmp_path / 'db.sqlite3'}") as storage:
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


async def translated(bot: ImagineBot) -> list[dict[str, Any]]:
    """The commands as the bot syncs them: with every localization the catalogues give."""
    tree = bot.tree
    return [await command.get_translated_payload(tree, CatalogueTranslator()) for command in tree.get_commands()]


async def test_every_extension_respects_discord_limits(loaded_bot: ImagineBot) -> None:
    payload = await translated(loaded_bot)
    names = {c["name"] for c in payload}
    assert names == {"imagine", "edit", "jobs", "queue", "show", "settings", "preferences", "usage", "Edit image"}
    (menu,) = [c for c in payload if c["type"] == 3]  # the message context menu
    assert menu["name"] == "Edit image" and menu["name_localizations"] == {"zh-CN": "编辑图片"}
    for command in (c for c in payload if c["type"] == 1):
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
    load_validator(DISCORD_OPENAPI).validate("put", "/applications/{application_id}/commands", payload)


async def test_subcommands_have_user_facing_descriptions(loaded_bot: ImagineBot) -> None:
    group = loaded_bot.tree.get_command("imagine")
    assert isinstance(group, app_commands.Group)
    descriptions = {c.name: c.description for c in group.commands}
    assert descriptions == {"qwen": "Generate images with Qwen Image 2.0 Pro",
                            "wan": "Generate images with Wan 2.7 Image Pro"}  # fmt: skip


def _localizable(item: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(what, the dict holding it) for every description and choice name under a command."""
    found = [(item["name"], item)] if "description" in item else []
    for option in item.get("options", []):
        found += _localizable(option)
    found += [(choice["name"], {"description": "", **choice}) for choice in item.get("choices", [])]
    return found


async def test_every_description_and_choice_is_translated_within_discords_limits(loaded_bot: ImagineBot) -> None:
    """Names stay English; every description and choice name has a zh-CN text of at most 100 characters."""
    for command in await translated(loaded_bot):
        if command["type"] != 1:
            continue  # a context menu has a name (localized, checked above) and no description
        assert "name_localizations" not in command or not command["name_localizations"]
        for what, item in _localizable(command):
            if "value" in item:  # a choice: its name is what members read
                localized = item.get("name_localizations") or {}
                if item["value"] in {*CATALOGUE, *available_locales()}:
                    continue  # a model's brand name, or a language named in its own language
            else:
                localized = item.get("description_localizations") or {}
            assert set(localized) == {"zh-CN"}, (command["name"], what)
            assert all(1 <= len(text) <= 100 for text in localized.values()), (command["name"], what)
            english = item["name"] if "value" in item else item["description"]
            assert localized["zh-CN"] != english, (command["name"], what)


@pytest.mark.parametrize("action", sorted(LOOKS))
async def test_custom_ids_round_trip(action: str) -> None:
    template = ResultButton.__discord_ui_compiled_template__
    for job_id in ("a", "0suwgwxi", "z" * 16):
        index = 12 if action == "var" else None
        item = ResultButton(action, job_id, index)
        custom_id = item.custom_id
        assert 1 <= len(custom_id) <= 100 and job_id in custom_id
        match = template.fullmatch(custom_id)
        assert match is not None
        rebuilt = await ResultButton.from_custom_id(None, discord.ui.Button(), match)  # type: ignore[arg-type]
        assert (rebuilt.action, rebuilt.job_id, rebuilt.index) == (action, job_id, index)
        assert rebuilt.custom_id == custom_id
    assert template.fullmatch("img:same:ABC") is None  # ids are lower-case base36
    assert template.fullmatch("img:same:" + "a" * 17) is None


async def test_an_unknown_action_still_makes_a_button() -> None:
    match = ResultButton.__discord_ui_compiled_template__.fullmatch("img:upscale:abc")
    assert match is not None  # matched, so discord.py hands the click to us instead of dropping it
    button = await ResultButton.from_custom_id(None, discord.ui.Button(), match)  # type: ignore[arg-type]
    assert (button.action, button.job_id, button.custom_id) == ("upscale", "abc", "img:upscale:abc")


@pytest.mark.parametrize("count", range(1, 13))
@pytest.mark.parametrize("model", ["qwen-image-2.0-pro", "wan2.7-image-pro"])
def test_a_result_layout_fits_discords_limits(count: int, model: str) -> None:
    """1–12 images: at most 10 per message in one gallery, 40 components, unique short custom ids."""
    job = replace(JOB, request=replace(JOB.request, model=model))
    names = [f"abc_{i}.png" for i in range(1, count + 1)]
    first = result_layout("abc", "zh-CN", "x" * 5000, names[:10], total=count, extra_actions=extra_actions(job))
    layouts = [first]
    if count > 10:
        layouts.append(result_layout("abc", "en-US", "more", names[10:], first_index=11, total=count))
    for layout in layouts:
        payload = layout.to_components()
        assert len(components_in(payload)) <= MAX_COMPONENTS
        galleries = [c for c in components_in(payload) if c["type"] == 12]
        assert len(galleries) == 1 and 1 <= len(galleries[0]["items"]) <= 10
        texts = [c["content"] for c in components_in(payload) if c["type"] == 10]
        assert sum(map(len, texts)) <= 4000
        rows = [c for c in components_in(payload) if c["type"] == 1]
        assert all(len(row["components"]) <= 5 for row in rows)
        ids = [c["custom_id"] for c in components_in(payload) if "custom_id" in c]
        assert len(ids) == len(set(ids)) and all(len(i) <= 100 for i in ids)
    galleries = [g for layout in layouts for g in components_in(layout.to_components()) if g["type"] == 12]
    shown = [item["media"]["url"] for gallery in galleries for item in gallery["items"]]
    assert shown == [f"attachment://{name}" for name in names]
    variation_ids = [i for layout in layouts for i in custom_ids_of(layout) if i.startswith("img:var:")]
    assert variation_ids == [f"img:var:abc:{i}" for i in range(1, count + 1)]
    region = "img:region:abc" in custom_ids_of(first)
    assert region is (model == "wan2.7-image-pro")  # Vary region only where the model takes regions


def custom_ids_of(layout: discord.ui.LayoutView) -> list[str]:
    return [c["custom_id"] for c in components_in(layout.to_components()) if "custom_id" in c]


def components_in(payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every component of a message payload, however deeply nested."""
    return list(walk_components(payload))
