"""The local Discord's images in: attachment options, members' uploads and the CDN, context menus, Label modals."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image

from tests.fakes.discord import FakeDiscord
from tests.fakes.discord.probe import probe, running_fake


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with running_fake() as discord:
        yield discord


def png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, "PNG")
    return out.getvalue()


EDIT = {
    "name": "edit", "description": "Edit your images", "type": 1,
    "options": [{"name": "wan", "description": "Edit with wan", "type": 1, "options": [
        {"name": "instruction", "description": "What to change", "type": 3, "required": True},
        {"name": "image", "description": "The image", "type": 11, "required": True},
        {"name": "image2", "description": "Another image", "type": 11, "required": False},
    ]}],
}  # fmt: skip
MENU = {"name": "Edit image", "type": 3}


async def test_attachment_options_are_resolved_and_served_from_signed_links(fake: FakeDiscord) -> None:
    photo, sketch = png(64, 48), b"not an image"
    async with probe(fake) as bot:
        await bot.sync([EDIT, MENU])
        await fake.slash(
            "alice", "edit", "wan", instruction="sky", image=("photo.png", photo), image2=("s.txt", sketch)
        )
        payload = await bot.event("INTERACTION_CREATE")
        options = {o["name"]: o for o in payload["data"]["options"][0]["options"]}
        files = payload["data"]["resolved"]["attachments"]
        image, text = files[options["image"]["value"]], files[options["image2"]["value"]]
        assert options["image"]["type"] == 11 and image["id"] == options["image"]["value"]
        assert (image["filename"], image["size"], image["content_type"]) == ("photo.png", len(photo), "image/png")
        assert (image["width"], image["height"], image["ephemeral"]) == (64, 48, True)
        assert "width" not in text and text["content_type"] == "application/octet-stream"
        channel = fake.channel.id
        assert image["url"].startswith(f"{fake.attachment_base_url}/ephemeral-attachments/{channel}/{image['id']}/")
        assert {"ex", "is", "hm"} <= set(image["url"].split("?")[1].replace("=", "&").split("&"))
        assert await bot.fetch(image["url"]) == (200, photo)
        assert await bot.fetch(image["proxy_url"]) == (200, photo)
        assert (await bot.fetch(image["url"].split("?")[0]))[0] == 404  # unsigned
        assert (await bot.fetch(image["url"].replace("hm=", "hm=0")))[0] == 404  # tampered
        fake.advance(24 * 60 * 60 + 1)
        assert (await bot.fetch(image["url"]))[0] == 404  # Discord's links expire


async def test_a_members_upload_is_a_message_the_bot_can_read_but_not_edit(fake: FakeDiscord) -> None:
    first, second = png(10, 20), png(30, 40)
    message = fake.post_message("alice", files=[("a.png", first), ("b.png", second)])
    async with probe(fake) as bot:
        status, body = await bot.call("GET", f"/channels/{fake.channel.id}/messages/{message.id}")
        assert status == 200 and body["author"]["id"] == str(fake.users["alice"].id) and body["content"] == ""
        shapes = [(a["filename"], a["width"], a["height"]) for a in body["attachments"]]
        assert shapes == [("a.png", 10, 20), ("b.png", 30, 40)]
        assert body["attachments"][0]["url"].startswith(f"{fake.attachment_base_url}/attachments/{fake.channel.id}/")
        assert [await bot.fetch(a["url"]) for a in body["attachments"]] == [(200, first), (200, second)]
        status, body = await bot.call("PATCH", f"/channels/{fake.channel.id}/messages/{message.id}", {"content": "x"})
        assert (status, body["code"]) == (403, 50005)
    with pytest.raises(ValueError, match="empty"):
        fake.post_message("alice")


async def test_the_message_menu_targets_a_members_upload_or_a_bot_message(fake: FakeDiscord) -> None:
    upload = fake.post_message("bob", content="my cat", files=[("cat.png", png())])
    async with probe(fake) as bot:
        await bot.sync([EDIT, MENU, {"name": "Who", "type": 2}])
        menu_id = fake.registered("Edit image", kind=3)["id"]
        status, posted = await bot.call("POST", f"/channels/{fake.channel.id}/messages", {"content": "result"},
                                        [("out.png", png())])  # fmt: skip
        assert status == 200
        for target in (upload, fake.messages[int(posted["id"])]):
            interaction = await fake.message_command("alice", "Edit image", target)
            data = (await bot.event("INTERACTION_CREATE"))["data"]
            assert (data["type"], data["name"], data["id"], data["target_id"]) == (3, "Edit image", menu_id,
                                                                                   str(target.id))  # fmt: skip
            resolved = data["resolved"]["messages"][str(target.id)]
            assert resolved["attachments"][0]["filename"] == target.attachments[0].filename
            assert (await bot.fetch(resolved["attachments"][0]["url"]))[0] == 200
            assert interaction.channel is fake.channel
        await fake.user_command("alice", "Who", "bob")
        data = (await bot.event("INTERACTION_CREATE"))["data"]
        assert data["type"] == 2 and data["target_id"] == str(fake.users["bob"].id)
        assert str(fake.users["bob"].id) in data["resolved"]["members"]


def label(text: str, component: dict[str, Any]) -> dict[str, Any]:
    return {"type": 18, "label": text, "component": component}


def region_select(**extra: Any) -> dict[str, Any]:
    options = [{"label": name, "value": name} for name in ("left", "right", "centre")]
    return {"type": 3, "custom_id": "region", "options": options, "max_values": 2} | extra


def instruction(**extra: Any) -> dict[str, Any]:
    return {"type": 4, "custom_id": "instruction", "style": 2, "value": "make it blue"} | extra


def modal(*components: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {"custom_id": "edit:form", "title": "Edit image", "components": list(components)}
    return {"type": 9, "data": body | extra}


VALID_MODAL = modal(
    {"type": 10, "content": "Pick a region and say what changes."},
    label("Region", region_select()),
    label("Instruction", instruction()),
    {"type": 1, "components": [{"type": 4, "custom_id": "negative", "style": 1, "label": "Avoid", "required": False}]},
)


async def test_a_label_modal_is_submitted_in_discords_shape(fake: FakeDiscord) -> None:
    async with probe(fake) as bot:
        await bot.sync([MENU])
        opened = await fake.message_command("alice", "Edit image", fake.post_message("alice", files=[("a.png", png())]))
        await bot.event("INTERACTION_CREATE")
        assert await bot.respond(opened, VALID_MODAL) == (204, None)
        with pytest.raises(ValueError, match="offers"):
            await fake.submit_modal("alice", "edit:form", {"region": ["top"]})
        with pytest.raises(ValueError, match="takes 1–2"):
            await fake.submit_modal("alice", "edit:form", {"region": ["left", "right", "centre"]})
        with pytest.raises(ValueError, match="no field"):
            await fake.submit_modal("alice", "edit:form", {"seed": "1"})
        await fake.submit_modal("alice", "edit:form", {"region": ["left", "centre"]})
        data = (await bot.event("INTERACTION_CREATE"))["data"]
    assert data["custom_id"] == "edit:form"
    text, region, typed, row = data["components"]
    assert text == {"type": 10, "id": 1}
    assert region["type"] == 18 and region["component"] | {"id": 0} == {
        "type": 3, "id": 0, "custom_id": "region", "values": ["left", "centre"]}  # fmt: skip
    assert typed["component"]["value"] == "make it blue"  # left as the modal pre-filled it
    assert row["type"] == 1 and row["components"][0]["custom_id"] == "negative" and row["components"][0]["value"] == ""
    ids = [region["id"], region["component"]["id"], typed["id"], typed["component"]["id"], row["id"]]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (modal(*[label(f"L{i}", instruction(custom_id=f"i{i}")) for i in range(6)]), "data.components"),
        (modal(), "data.components"),
        (modal(label("L" * 46, instruction())), "data.components.0.label"),
        (modal(label("L", instruction()) | {"description": "d" * 101}), "data.components.0.description"),
        (modal(label("L", region_select(options=[{"label": f"{i}", "value": f"{i}"} for i in range(26)]))),
         "data.components.0.component.options"),
        (modal(label("L", region_select(placeholder="p" * 151))), "data.components.0.component.placeholder"),
        (modal(label("L", region_select(disabled=True))), "data.components.0.component.disabled"),
        (modal(label("L", region_select(max_values=4))), "data.components.0.component.max_values"),
        (modal(label("A", instruction()), label("B", instruction())), "data.components.1.component.custom_id"),
        (modal(label("L", instruction(custom_id="c" * 101))), "data.components.0.component.custom_id"),
        (modal({"type": 1, "components": [region_select()]}), "data.components.0.components"),
        (modal(label("L", instruction(placeholder="p" * 101))), "data.components.0.component.placeholder"),
        (modal({"type": 10, "content": ""}), "data.components.0.content"),
        (modal(label("L", instruction()), title="t" * 46), "data.title"),
    ],
)  # fmt: skip
async def test_modal_rules_are_50035(fake: FakeDiscord, body: dict[str, Any], where: str) -> None:
    async with probe(fake) as bot:
        await bot.sync([MENU])
        opened = await fake.message_command("alice", "Edit image", fake.post_message("alice", files=[("a.png", png())]))
        status, answer = await bot.respond(opened, body)
    assert (status, answer["code"]) == (400, 50035)
    assert where in answer["errors"], answer
    assert not opened.acknowledged
