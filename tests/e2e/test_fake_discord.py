"""The local Discord refuses what real Discord refuses, with Discord's codes (else e2e tests prove nothing)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import discord
import pytest

from bot.client import ImagineBot
from tests.bed import Bed
from tests.fakes.discord import FakeDiscord, Interaction
from tests.fakes.discord._layout import walk

from .helpers import result_of


async def callback(fake: FakeDiscord, interaction: Interaction, body: dict[str, Any]) -> tuple[int, Any]:
    url = f"{fake.base_url}/api/v10/interactions/{interaction.id}/{interaction.token}/callback"
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status, await response.json(content_type=None)


async def bot_post(fake: FakeDiscord, path: str, body: dict[str, Any], files: list[bytes] = ()) -> tuple[int, Any]:  # type: ignore[assignment]
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps(body), content_type="application/json")
    for index, data in enumerate(files):
        form.add_field(f"files[{index}]", data, filename=f"{index}.png")
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}/api/v10{path}", data=form, headers=headers) as response,
    ):
        return response.status, await response.json(content_type=None)


@pytest.fixture
async def quiet_interaction(bed: Bed, bot: ImagineBot) -> Interaction:
    """An interaction the bot has already acknowledged and answered."""
    interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="x", size="512*512")
    await result_of(bed.discord, interaction)
    return interaction


async def test_second_acknowledgement_is_40060(bed: Bed, quiet_interaction: Interaction) -> None:
    status, body = await callback(bed.discord, quiet_interaction, {"type": 5})
    assert (status, body["code"]) == (400, 40060)


async def test_late_acknowledgement_is_10062(bed: Bed, quiet_interaction: Interaction) -> None:
    message = bed.discord.original(quiet_interaction)
    assert message is not None
    button = next(c for c in walk(message.components) if c.get("custom_id"))
    button["custom_id"] = "not-ours:1"  # no handler: nobody acknowledges it
    click = await bed.discord.click("bob", message, "not-ours:1")
    bed.discord.advance(3.5)
    status, body = await callback(bed.discord, click, {"type": 6})
    assert (status, body["code"]) == (404, 10062)


async def test_webhook_token_expires_after_15_minutes(bed: Bed, quiet_interaction: Interaction) -> None:
    url = f"{bed.discord.base_url}/api/v10/webhooks/{bed.discord.application_id}/{quiet_interaction.token}"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"content": "still valid"}) as response:
            assert response.status == 200
        bed.discord.advance(15 * 60 + 1)
        async with session.post(url, json={"content": "too late"}) as response:
            assert (response.status, (await response.json())["code"]) == (401, 50027)


def rows(count: int, per_row: int, custom_id: str = "b{i}{j}") -> list[dict[str, Any]]:
    """``count`` action rows of ``per_row`` buttons each."""
    return [
        {"type": 1, "components": [
            {"type": 2, "style": 1, "label": "x", "custom_id": custom_id.format(i=i, j=j)} for j in range(per_row)
        ]}
        for i in range(count)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "files", "where"),
    [
        ({"content": "x" * 2001}, 0, "content"),
        ({"embeds": [{"title": "t"}] * 11}, 0, "embeds"),
        ({"embeds": [{"description": "d" * 4097}]}, 0, "embeds.0.description"),
        ({"content": "x"}, 11, "attachments"),
        ({"components": rows(6, 5)}, 0, "components"),
        ({"components": rows(1, 6)}, 0, "components.0.components"),
        ({"components": rows(1, 2, custom_id="same")}, 0, "components.0.components.1.custom_id"),
        ({"components": rows(1, 1, custom_id="c" * 101)}, 0, "components.0.components.0.custom_id"),
    ],
)
async def test_message_limits_are_50035(bed: Bed, body: dict[str, Any], files: int, where: str) -> None:
    status, answer = await bot_post(bed.discord, f"/channels/{bed.discord.channel.id}/messages", body, [b"x"] * files)
    assert (status, answer["code"]) == (400, 50035)
    assert where in answer["errors"]


async def test_upload_limit_is_40005(tmp_path: Any) -> None:
    from tests.bed import open_bed

    async with open_bed(tmp_path, upload_limit=1000) as small:
        path = f"/channels/{small.discord.channel.id}/messages"
        status, answer = await bot_post(small.discord, path, {"content": "big"}, [b"x" * 1001])
        assert (status, answer["code"]) == (413, 40005)
        status, _ = await bot_post(small.discord, path, {"content": "fits"}, [b"x" * 1000])
        assert status == 200


async def test_openapi_schema_is_enforced(bed: Bed) -> None:
    status, answer = await bot_post(bed.discord, f"/channels/{bed.discord.channel.id}/messages", {"content": 5})
    assert (status, answer["code"]) == (400, 50035)


async def test_missing_send_permission_is_50013(bed: Bed) -> None:
    bed.discord.channel.bot_can_send = False
    status, answer = await bot_post(bed.discord, f"/channels/{bed.discord.channel.id}/messages", {"content": "hi"})
    assert (status, answer["code"]) == (403, 50013)


def options(*specs: tuple[str, bool]) -> list[dict[str, Any]]:
    return [{"name": name, "description": "d", "type": 3, "required": required} for name, required in specs]


@pytest.mark.parametrize(
    ("command", "rule"),
    [
        ({"name": "Imagine", "description": "d"}, "name"),
        ({"name": "imagine", "description": "d" * 101}, "description"),
        ({"name": "x", "description": "d", "options": options(*((f"o{i}", False) for i in range(26)))}, "options"),
        ({"name": "x", "description": "d", "options": options(("a", False), ("b", True))}, "options.1"),
    ],
)
async def test_command_schema_rules(bed: Bed, command: dict[str, Any], rule: str) -> None:
    url = f"{bed.discord.base_url}/api/v10/applications/{bed.discord.application_id}/commands"
    headers = {"Authorization": f"Bot {bed.discord.token}"}
    async with aiohttp.ClientSession() as session, session.put(url, json=[command], headers=headers) as response:
        answer = await response.json()
    assert (response.status, answer["code"]) == (400, 50035)
    assert any(key.startswith(f"0.{rule}") or key == rule for key in answer["errors"]), answer


async def test_bad_token_cannot_log_in(bed: Bed) -> None:
    discord.http.Route.BASE = f"{bed.discord.base_url}/api/v10"
    async with discord.Client(intents=discord.Intents.none()) as client:
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")


async def test_an_enforced_nonce_returns_the_first_message_instead_of_posting_again(bed: Bed) -> None:
    path = f"/channels/{bed.discord.channel.id}/messages"
    first = await bot_post(bed.discord, path, {"content": "once", "nonce": "job-1", "enforce_nonce": True})
    again = await bot_post(bed.discord, path, {"content": "once", "nonce": "job-1", "enforce_nonce": True})
    unenforced = await bot_post(bed.discord, path, {"content": "twice", "nonce": "job-1"})
    assert first[0] == again[0] == unenforced[0] == 200
    assert again[1]["id"] == first[1]["id"] and unenforced[1]["id"] != first[1]["id"]
    bed.discord.advance(10 * 60)  # Discord forgets nonces after a few minutes
    later = await bot_post(bed.discord, path, {"content": "later", "nonce": "job-1", "enforce_nonce": True})
    assert later[1]["id"] != first[1]["id"]
