"""The local Discord's Components V2 messages: Discord's layout rules, edits, and reading, clicking and galleries."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from PIL import Image

from tests.fakes.discord import FakeDiscord
from tests.fakes.discord.probe import Probe, probe, running_fake

V2 = 1 << 15


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with running_fake() as local:
        yield local


def png(size: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), "orange").save(out, "PNG")
    return out.getvalue()


def text(content: str) -> dict[str, Any]:
    return {"type": 10, "content": content}


def button(custom_id: str, label: str = "Go") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


def row(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(children)}


def gallery(*names: str, description: str | None = None) -> dict[str, Any]:
    described = {"description": description} if description else {}
    items = [{"media": {"url": f"attachment://{name}"}} | described for name in names]
    return {"type": 12, "items": items}


def container(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": 17, "components": list(children)}


RESULT = [
    container(
        text("**A cat** by alice"),
        gallery("a.png", "b.png", description="seed 1"),
        {"type": 9, "components": [text("Like it?")], "accessory": button("img:same:1", "Same seed")},
        {"type": 14, "divider": True, "spacing": 1},
        row(button("img:new:1"), {"type": 2, "style": 5, "label": "Docs", "url": "https://example.com"}),
        row(
            {
                "type": 3,
                "custom_id": "img:pick:1",
                "options": [{"label": "1", "value": "1"}, {"label": "2", "value": "2"}],
            }
        ),
    ),
    {"type": 9, "components": [text("Thumb")], "accessory": {"type": 11, "media": {"url": "attachment://a.png"}}},
]
FILES = [("a.png", png()), ("b.png", png(16))]


async def post(bot: Probe, body: dict[str, Any], files: list[tuple[str, bytes]] = FILES) -> tuple[int, Any]:
    return await bot.call("POST", f"/channels/{bot.fake.channel.id}/messages", body, files)


async def test_a_v2_message_is_stored_read_and_clicked(fake: FakeDiscord) -> None:
    async with probe(fake) as bot:
        status, body = await post(bot, {"flags": V2, "components": RESULT})
        assert status == 200, body
        message = fake.messages[int(body["id"])]
        assert message.is_v2 and message.text == "**A cat** by alice\nLike it?\nThumb"
        assert message.custom_ids == ["img:same:1", "img:new:1", "img:pick:1"]
        items = fake.gallery(message)
        assert [(i.filename, i.description) for i in items] == [("a.png", "seed 1"), ("b.png", "seed 1")]
        ids = [c["id"] for c in body["components"][0]["components"]]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)  # Discord numbers components it was not given ids for
        media = body["components"][0]["components"][1]["items"][0]["media"]
        assert media["attachment_id"] == body["attachments"][0]["id"] and media["width"] == 32
        assert await bot.fetch(media["url"]) == (200, FILES[0][1])
        await fake.click("bob", message, "img:same:1")
        click = (await bot.event("INTERACTION_CREATE"))["data"]
        assert (click["custom_id"], click["component_type"]) == ("img:same:1", 2)
        await fake.choose("bob", message, "img:pick:1", ["2"])
        pick = (await bot.event("INTERACTION_CREATE"))["data"]
        assert (pick["component_type"], pick["values"]) == (3, ["2"])
        with pytest.raises(ValueError, match="cannot pick"):
            await fake.choose("bob", message, "img:pick:1", ["3"])
        with pytest.raises(ValueError, match="not a button"):
            await fake.click("bob", message, "img:pick:1")


def many_texts(count: int, size: int = 1) -> list[dict[str, Any]]:
    return [text("t" * size) for _ in range(count)]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"content": "hello", "components": [text("x")]}, "content"),
        ({"embeds": [{"title": "t"}], "components": [text("x")]}, "embeds"),
        ({"components": [container(*many_texts(40))]}, "components"),
        ({"components": many_texts(2, 2001)}, "components"),
        ({"components": [text("x" * 4001)]}, "components.0.content"),
        ({"components": [gallery(*["a.png"] * 11)]}, "components.0.items"),
        ({"components": [gallery("c.png")]}, "components.0.items.0.media.url"),
        (
            {"components": [{"type": 12, "items": [{"media": {"url": "ftp://x/y.png"}}]}]},
            "components.0.items.0.media.url",
        ),
        ({"components": [gallery("a.png", description="d" * 1025)]}, "components.0.items.0.description"),
        (
            {"components": [container(row(button("same")), row(button("same")))]},
            "components.0.components.1.components.0.custom_id",
        ),
        ({"components": [row(*(button(f"b{i}") for i in range(6)))]}, "components.0.components"),
        (
            {
                "components": [
                    row(button("b"), {"type": 3, "custom_id": "s", "options": [{"label": "l", "value": "v"}]})
                ]
            },
            "components.0.components",
        ),
        ({"components": [row(button("c" * 101))]}, "components.0.components.0.custom_id"),
        (
            {"components": [{"type": 9, "components": many_texts(4), "accessory": button("b")}]},
            "components.0.components",
        ),
        ({"components": [{"type": 11, "media": {"url": "attachment://a.png"}}]}, "components.0.type"),
        ({"components": [container(container(text("x")))]}, "components.0.components.0.type"),
        ({"components": [text("a") | {"id": 7}, text("b") | {"id": 7}]}, "components.1.id"),
        ({"components": []}, None),
    ],
)
async def test_v2_rules_are_discords(fake: FakeDiscord, body: dict[str, Any], where: str | None) -> None:
    async with probe(fake) as bot:
        status, answer = await post(bot, {"flags": V2} | body)
    if where is None:  # no components at all: an empty message
        assert (status, answer["code"]) == (400, 50006)
        return
    assert (status, answer["code"]) == (400, 50035), answer
    assert where in answer["errors"], answer


async def test_v2_edits_keep_the_flag_and_the_files_they_name(fake: FakeDiscord) -> None:
    async with probe(fake) as bot:
        _, body = await post(bot, {"flags": V2, "components": [gallery("a.png", "b.png")]})
        path = f"/channels/{fake.channel.id}/messages/{body['id']}"
        message = fake.messages[int(body["id"])]
        first, second = body["attachments"]
        status, answer = await bot.call("PATCH", path, {"flags": 0, "content": "back to text"})
        assert (status, answer["code"]) == (400, 50035) and "flags" in answer["errors"]
        status, answer = await bot.call("PATCH", path, {"content": "text too"})
        assert (status, answer["code"]) == (400, 50035) and "content" in answer["errors"]
        status, answer = await bot.call("PATCH", path, {"attachments": [first]})  # the gallery still names b.png
        assert (status, answer["code"]) == (400, 50035)
        status, answer = await bot.call("PATCH", path, {"attachments": [first], "components": [gallery("a.png")]})
        assert status == 200 and [a["filename"] for a in answer["attachments"]] == ["a.png"], answer
        keep_and_add = {
            "attachments": [first, {"id": 0, "filename": "c.png"}],
            "components": [gallery("a.png", "c.png")],
        }
        status, answer = await bot.call("PATCH", path, keep_and_add, [("c.png", png(8))])
        assert status == 200 and [a["filename"] for a in answer["attachments"]] == ["a.png", "c.png"]
        assert answer["flags"] & V2 and [i.filename for i in fake.gallery(message)] == ["a.png", "c.png"]
        assert second["id"] not in {a["id"] for a in answer["attachments"]}
        # a classic message becomes V2 only without its text
        _, classic = await post(bot, {"content": "hello"}, [])
        path = f"/channels/{fake.channel.id}/messages/{classic['id']}"
        status, answer = await bot.call("PATCH", path, {"flags": V2, "components": [text("hi")]})
        assert (status, answer["code"]) == (400, 50035) and "content" in answer["errors"]
        status, answer = await bot.call("PATCH", path, {"flags": V2, "content": "", "components": [text("hi")]})
        assert status == 200 and fake.messages[int(classic["id"])].text == "hi"


async def test_interaction_responses_and_webhooks_take_v2(fake: FakeDiscord) -> None:
    async with probe(fake) as bot:
        await bot.sync([{"name": "go", "description": "Go", "type": 1}])
        first = await fake.slash("alice", "go")
        answer_with_file = {"type": 4, "data": {"flags": V2, "components": [gallery("a.png")]}}
        status, _ = await bot.respond(first, answer_with_file, [("a.png", png())])
        assert status == 204 and fake.gallery(fake.messages[first.original_id or 0])[0].filename == "a.png"
        bad = await fake.slash("alice", "go")
        status, answer = await bot.respond(
            bad, {"type": 4, "data": {"flags": V2, "content": "x", "components": [text("y")]}}
        )
        assert (status, answer["code"]) == (400, 50035) and not bad.acknowledged
        deferred = await fake.slash("alice", "go")
        assert (await bot.respond(deferred, {"type": 5}))[0] == 204
        status, answer = await bot.webhook(
            "PATCH", deferred, "/messages/@original", {"flags": V2, "components": [text("done")]}
        )
        assert status == 200 and answer["flags"] & V2 and fake.messages[int(answer["id"])].text == "done"
        status, answer = await bot.webhook("POST", deferred, "", {"flags": V2, "components": [container(text("more"))]})
        assert status == 200 and fake.messages[int(answer["id"])].text == "more"
        status, answer = await bot.webhook("POST", deferred, "", {"flags": V2, "components": [gallery("nope.png")]})
        assert (status, answer["code"]) == (400, 50035)
        posted = fake.messages[deferred.original_id or 0]
        posted.components = [container(row(button("again")))]
        click = await fake.click("bob", posted, "again")
        status, _ = await bot.respond(click, {"type": 7, "data": {"components": [text("updated")]}})
        assert status == 204 and posted.text == "updated"


async def test_discord_py_layout_views_are_accepted_and_read_back(fake: FakeDiscord) -> None:
    class Result(discord.ui.LayoutView):
        box: discord.ui.Container[Any] = discord.ui.Container(
            discord.ui.TextDisplay("A **cat**"),
            discord.ui.MediaGallery(discord.MediaGalleryItem("attachment://a.png", description="seed 7")),
            discord.ui.ActionRow(discord.ui.Button(label="Same seed", custom_id="img:same:7")),
        )

    discord.http.Route.BASE = f"{fake.base_url}/api/v10"
    client = discord.Client(intents=discord.Intents(guilds=True))
    await client.login(fake.token)
    try:
        channel = await client.fetch_channel(fake.channel.id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send(view=Result(), file=discord.File(io.BytesIO(png()), "a.png"))
    finally:
        await client.close()
    stored = fake.messages[sent.id]
    assert stored.is_v2 and stored.text == "A **cat**" and stored.custom_ids == ["img:same:7"]
    assert [(i.filename, i.description) for i in fake.gallery(stored)] == [("a.png", "seed 7")]
    box = sent.components[0]
    assert isinstance(box, discord.components.Container)
    gallery_item = box.children[1].items[0]  # type: ignore[attr-defined]
    assert gallery_item.media.attachment_id == stored.attachments[0].id
