"""The result message end to end: variations, remix, info, delete, /show, upload limits, metadata."""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any

import pytest
from PIL import Image

from bot.images import png_text
from bot.storage import Status
from tests.bed import Bed, open_bed
from tests.fakes.discord import Interaction, Message
from tests.fakes.discord._layout import walk

from .helpers import attachment_bytes, expected_images, is_final, result_of, stored_job


def job_of(message: Message) -> str:
    return re.search(r"(?i)\bid `([0-9a-z]+)`", message.text)[1]  # type: ignore[index]  # "ID" in Chinese


def button(message: Message, action: str, index: int | None = None) -> str:
    wanted = f"img:{action}:{job_of(message)}" + (f":{index}" if index is not None else "")
    assert wanted in message.custom_ids, (wanted, message.custom_ids)
    return wanted


async def reply_to(bed: Bed, interaction: Interaction) -> Message:
    return await bed.discord.wait_original(interaction, lambda m: bool(m.text) or bool(m.embeds))


async def generate(bed: Bed, model: str = "qwen", **options: Any) -> Message:
    options = {"prompt": "a lighthouse", "size": "512*512" if model == "qwen" else "1K", **options}
    return await result_of(bed.discord, await bed.discord.slash("alice", "imagine", model, **options))


@pytest.mark.parametrize("model", ["qwen", "wan"])
async def test_variation_edits_the_chosen_image(bed: Bed, model: str) -> None:
    async with bed.bot():
        original = await generate(bed, model, count=2)
        click = await bed.discord.click("bob", original, button(original, "var", 2))
        variation = await result_of(bed.discord, click)
    parent_body, body = bed.gateway.requests
    *images, text = body["input"]["messages"][0]["content"]
    assert text == {"text": parent_body["input"]["messages"][0]["content"][0]["text"]}
    assert len(images) == 1 and images[0]["image"].startswith("data:image/png;base64,")
    sent = base64.b64decode(images[0]["image"].removeprefix("data:image/png;base64,"))
    assert sent == original.attachments[1].data  # exactly image 2, as posted
    assert body["seed"] != parent_body["seed"] and body["n"] == 2
    assert attachment_bytes(variation) == expected_images(body)
    assert attachment_bytes(variation) != attachment_bytes(original)
    assert len(variation.custom_ids) == (7 if model == "qwen" else 8)  # its own buttons (wan: Vary region too)


async def test_variation_works_after_a_restart_and_from_the_overflow_message(bed: Bed) -> None:
    async with bed.bot():
        first = await generate(bed, "wan", count=12, image_set=True)
        overflow = await bed.discord.wait_for(
            lambda: next((m for m in bed.discord.channel_messages() if m.id != first.id and m.attachments), None)
        )
        assert overflow.custom_ids == [f"img:var:{job_of(first)}:11", f"img:var:{job_of(first)}:12"]
    async with bed.bot():
        variation = await result_of(bed.discord, await bed.discord.click("carol", overflow, overflow.custom_ids[1]))
    assert len(variation.attachments) == 4  # the parent's 12, within the edit endpoint's 1-4
    assert bed.gateway.requests[-1]["size"] == "1K"


async def test_remix_modal_runs_the_edited_request(bed: Bed) -> None:
    async with bed.bot():
        original = await generate(bed, negative_prompt="fog")
        click = await bed.discord.click("bob", original, button(original, "remix"))
        await bed.discord.wait_for(lambda: click.acknowledged)
        assert click.ack_type == 9  # the modal is the first and only response
        fields = modal_fields(click)
        assert fields["Prompt"][1] == "a lighthouse" and fields["Negative prompt"][1] == "fog"
        assert fields["Seed (empty for a random one)"][1] == str(bed.gateway.requests[0]["seed"])
        submit = await bed.discord.submit_modal(
            "bob", click.response["data"]["custom_id"],  # type: ignore[index]
            values(fields, Prompt="a lighthouse at night", **{"Seed (empty for a random one)": "42",
                                                              "Size (W*H, a ratio like 16:9, or a preset)": "16:9"}),
            message=original,
        )  # fmt: skip
        remix = await result_of(bed.discord, submit)
    body = bed.gateway.requests[-1]
    assert body["input"]["messages"][0]["content"][0]["text"] == "a lighthouse at night"
    assert (body["seed"], body["size"], body["negative_prompt"]) == (42, "2688*1536", "fog")
    assert len(remix.attachments) == 1 and f"<@{bed.discord.users['bob'].id}>" in remix.text
    assert bed.discord.errors == []  # answered exactly once (no 40060)


@pytest.mark.parametrize(
    ("label", "value", "message"),
    [
        ("Seed (empty for a random one)", "abc", "**seed** must be a whole number"),
        ("Size (W*H, a ratio like 16:9, or a preset)", "9999x9999", "**size** must be W*H"),
        ("Prompt", "   ", "**prompt** must not be empty"),
    ],
)
async def test_remix_with_invalid_values_is_refused(bed: Bed, label: str, value: str, message: str) -> None:
    async with bed.bot():
        original = await generate(bed)
        click = await bed.discord.click("alice", original, button(original, "remix"))
        await bed.discord.wait_for(lambda: click.acknowledged)
        fields = modal_fields(click)
        submit = await bed.discord.submit_modal(
            "alice",
            click.response["data"]["custom_id"],
            values(fields, **{label: value}),  # type: ignore[index]
        )
        reply = await reply_to(bed, submit)
    assert reply.ephemeral_to is not None and message in reply.text
    assert len(bed.gateway.requests) == 1


def modal_fields(interaction: Interaction) -> dict[str, tuple[str, str]]:
    """label -> (custom_id, pre-filled value) of the modal the bot opened."""
    rows = interaction.response["data"]["components"]  # type: ignore[index]
    return {row["components"][0]["label"]: (row["components"][0]["custom_id"], row["components"][0].get("value", ""))
            for row in rows}  # fmt: skip


def values(fields: dict[str, tuple[str, str]], **changes: str) -> dict[str, str]:
    return {custom_id: changes.get(label, default) for label, (custom_id, default) in fields.items()}


async def test_info_shows_every_parameter_ephemerally(bed: Bed) -> None:
    long_prompt = "a very long prompt " * 260  # 4940 characters: over an embed's 4096
    async with bed.bot():
        original = await generate(bed, "wan", prompt=long_prompt, palette="#112233, #445566, #778899", seed=7)
        same = await result_of(bed.discord, await bed.discord.click("bob", original, button(original, "same")))
        await stored_job(bed, job_of(same), Status.DONE)  # the ending is recorded just after it is posted
        info = await reply_to(bed, await bed.discord.click("carol", same, button(same, "info")))
    assert info.ephemeral_to == bed.discord.users["carol"].id
    (embed,) = info.embeds
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Seed"] == "`7`" and fields["Size"] == "`1K`" and fields["Thinking mode"] == "on"
    assert "`#112233` 33.34%" in fields["Palette"]
    assert fields["Parent"] == f"`{job_of(original)}`" and "same seed" in fields["Started by"]
    assert fields["Gateway request"].startswith("`")
    assert [a.filename for a in info.attachments] == [f"{job_of(same)}-prompt.txt"]
    assert info.attachments[0].data.decode() == long_prompt.strip()


async def test_delete_by_owner_stranger_and_moderator(bed: Bed) -> None:
    async with bed.bot():
        first, second = await generate(bed), await generate(bed, prompt="second")
        refused = await reply_to(bed, await bed.discord.click("bob", first, button(first, "delete")))
        assert refused.ephemeral_to is not None and "can delete this" in refused.text and not first.deleted
        owner = await bed.discord.click("alice", first, button(first, "delete"))
        await bed.discord.wait_for(lambda: first.deleted)
        confirmation = await bed.discord.wait_original(owner, lambda m: "Deleted" in m.text)
        assert confirmation.ephemeral_to == bed.discord.users["alice"].id
        await bed.discord.click("mod", second, button(second, "delete"))
        await bed.discord.wait_for(lambda: second.deleted)


async def test_show_reposts_an_old_result_after_a_restart(bed: Bed) -> None:
    async with bed.bot():
        original = await generate(bed, count=2)
    async with bed.bot():
        show = await bed.discord.slash("bob", "show", id=job_of(original))
        repost = await result_of(bed.discord, show)
        assert repost.id != original.id and "Re-posted by" in repost.text
        assert attachment_bytes(repost) == attachment_bytes(original)
        variation = await result_of(bed.discord, await bed.discord.click("bob", repost, button(repost, "var", 1)))
    assert len(variation.attachments) == 2
    assert len(bed.gateway.requests) == 2  # the re-post itself cost nothing


async def test_show_regenerates_when_the_images_are_gone(bed: Bed) -> None:
    async with bed.bot():
        original = await generate(bed)
        await stored_job(bed, job_of(original), Status.DONE)
        original.deleted = True
        repost = await result_of(bed.discord, await bed.discord.slash("bob", "show", id=job_of(original)))
    assert bed.gateway.requests[1] == bed.gateway.requests[0]
    assert attachment_bytes(repost) == attachment_bytes(original)


async def test_show_unknown_id(bed: Bed) -> None:
    async with bed.bot():
        reply = await reply_to(bed, await bed.discord.slash("alice", "show", id="nope1234"))
    assert reply.ephemeral_to is not None and "There is no result with id `nope1234`" in reply.text


async def test_4k_image_is_fitted_to_a_10_mib_limit(tmp_path: Any) -> None:
    async with open_bed(tmp_path / "data") as bed:
        bed.gateway.image_style = "textured"  # a 4096² PNG of ~16 MB, like the real model's
        async with bed.bot():
            message = await generate(bed, "wan", size="4K")
    (attachment,) = message.attachments
    assert attachment.filename.endswith(".webp") and len(attachment.data) <= 10 * 1024 * 1024
    assert "Re-encoded as WebP" in message.text and "[original 1](<http://127.0.0.1:" in message.text
    with Image.open(io.BytesIO(attachment.data)) as image:
        assert image.format == "WEBP" and max(image.size) >= 2048
    assert bed.discord.errors == []


async def test_delivered_pngs_carry_their_parameters(bed: Bed) -> None:
    async with bed.bot():
        message = await generate(bed, prompt="metadata 🐙", seed=123, negative_prompt="blur")
    parameters = json.loads(png_text(message.attachments[0].data)["parameters"])
    assert parameters["prompt"] == "metadata 🐙" and parameters["seed"] == 123
    assert parameters["negative_prompt"] == "blur" and parameters["id"] == job_of(message)
    with Image.open(io.BytesIO(message.attachments[0].data)) as image:
        image.load()  # still a valid PNG
        assert image.size == (512, 512)


async def test_info_on_a_failure(bed: Bed) -> None:
    from tests.fakes.gateway import Fault

    bed.gateway.fail_next(Fault.SERVER_500, times=3)
    async with bed.bot() as bot:
        bot.gateway._sleep = _no_sleep  # type: ignore[method-assign]  # skip the real backoff waits
        failed = await result_of(bed.discord, await bed.discord.slash("alice", "imagine", "qwen", prompt="x"))
        await stored_job(bed, job_of(failed), Status.FAILED)  # the ending is recorded just after it is shown
        info = await reply_to(bed, await bed.discord.click("alice", failed, button(failed, "info")))
    fields = {f["name"]: f["value"] for f in info.embeds[0]["fields"]}
    assert fields["Status"] == "failed" and "ServerError" in fields["Error"]


async def _no_sleep(_seconds: float) -> None:
    return None


async def test_is_final_helper_is_not_fooled_by_status(bed: Bed) -> None:
    bed.gateway.latency = 2.0  # "Generating" is shown once a job has run for a second
    async with bed.bot():
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="x", size="512*512")
        status = await bed.discord.wait_original(interaction, lambda m: "**Generating**" in m.text)
        assert not is_final(status)
        assert is_final(await result_of(bed.discord, interaction))


async def test_a_remix_form_opened_before_a_restart_works_after_it(bed: Bed) -> None:
    async with bed.bot():
        original = await generate(bed)
        click = await bed.discord.click("alice", original, button(original, "remix"))
        await bed.discord.wait_for(lambda: click.acknowledged)
    async with bed.bot():  # the form object is gone with the old process
        submit = await bed.discord.submit_modal(
            "alice",
            click.response["data"]["custom_id"],  # type: ignore[index]
            values(modal_fields(click), Prompt="after the restart"),
        )
        remix = await result_of(bed.discord, submit)
    assert len(remix.attachments) == 1
    assert bed.gateway.requests[-1]["input"]["messages"][0]["content"][0]["text"] == "after the restart"


async def test_show_reposts_all_twelve_images_of_a_set(bed: Bed) -> None:
    def new_image_message(*seen: Message) -> Message | None:
        known = {m.id for m in seen}
        return next((m for m in bed.discord.channel_messages() if m.id not in known and m.attachments), None)

    async with bed.bot():
        first = await generate(bed, "wan", count=12, image_set=True)
        overflow = await bed.discord.wait_for(lambda: new_image_message(first))
        await stored_job(bed, job_of(first), Status.DONE)
        repost = await result_of(bed.discord, await bed.discord.slash("bob", "show", id=job_of(first)))
        repost_overflow = await bed.discord.wait_for(lambda: new_image_message(first, overflow, repost))
    posted = attachment_bytes(first) + attachment_bytes(overflow)
    assert attachment_bytes(repost) + attachment_bytes(repost_overflow) == posted
    assert repost_overflow.custom_ids == [f"img:var:{job_of(first)}:11", f"img:var:{job_of(first)}:12"]
    assert len(bed.gateway.requests) == 1


async def test_a_button_from_another_version_is_answered(bed: Bed) -> None:
    async with bed.bot():
        original = await generate(bed)
        stale = f"img:upscale:{job_of(original)}"  # an action this version does not have
        button = next(c for c in walk(original.components) if c.get("custom_id"))
        button["custom_id"] = stale
        reply = await reply_to(bed, await bed.discord.click("bob", original, stale))
    assert reply.ephemeral_to is not None and "does nothing now" in reply.text
    assert len(bed.gateway.requests) == 1
