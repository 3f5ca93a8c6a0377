"""Images in: /edit, "Edit image" on any message, Vary region, and re-running edits after restarts."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from bot.storage import Status
from tests.bed import Bed
from tests.fakes.discord import Interaction, Message
from tests.fakes.images import render_png

from .helpers import result_of, stored_job
from .test_results import button, generate, job_of


def png(key: str, width: int = 640, height: int = 480) -> bytes:
    return render_png(key, width, height)


def jpeg(width: int = 500, height: int = 400) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def private_reply(bed: Bed, interaction: Interaction) -> Message:
    """The member's private answer (after any withdrawn "thinking…")."""
    return await bed.discord.wait_for(
        lambda: next(
            (
                m
                for m in bed.discord.messages.values()
                if m.interaction_id == interaction.id and m.ephemeral_to is not None and m.text and not m.deleted
            ),
            None,
        )
    )


async def test_edit_qwen_with_one_image_sends_exactly_that_image(bed: Bed) -> None:
    photo = png("photo")
    async with bed.bot():
        interaction = await bed.discord.slash(
            "alice", "edit", "qwen", image=("photo.png", photo), instruction="make it night", seed=3
        )
        result = await result_of(bed.discord, interaction)
    (edit,) = bed.gateway.edits
    assert edit.digests == [sha(photo)] and edit.instruction == "make it night" and edit.seed == 3
    assert edit.size == "640*480"  # "same as input" by default
    assert result.is_v2 and len(result.attachments) == 1 and interaction.ack_type == 5


async def test_edit_wan_with_three_images_keeps_their_order(bed: Bed) -> None:
    images = [png("a"), jpeg(), png("c", 800, 800)]
    async with bed.bot():
        interaction = await bed.discord.slash(
            "alice", "edit", "wan", instruction="put the cat from image 2 on the sofa of image 1",
            image=("a.png", images[0]), image2=("b.jpg", images[1]), image3=("c.png", images[2]), count=2,
        )  # fmt: skip
        result = await result_of(bed.discord, interaction)
    (edit,) = bed.gateway.edits
    assert edit.digests == [sha(image) for image in images]
    assert [i.media_type for i in edit.images] == ["image/png", "image/jpeg", "image/png"]
    assert edit.instruction.startswith("put the cat") and len(result.attachments) == 2
    assert any(":region:" in i for i in result.custom_ids)  # a wan result can be varied by region


async def test_a_wrong_file_type_is_refused_before_anything_is_fetched(bed: Bed) -> None:
    async with bed.bot():
        interaction = await bed.discord.slash(
            "alice", "edit", "wan", image=("notes.txt", b"hello, not an image"), instruction="x"
        )
        refused = await bed.discord.wait_original(interaction, lambda m: bool(m.text))
    assert refused.ephemeral_to is not None and "**image**" in refused.text and "JPEG, PNG, BMP, WEBP" in refused.text
    assert bed.gateway.requests == [] and bed.gateway.edits == []


async def test_a_file_over_the_models_size_is_refused(bed: Bed) -> None:
    big = png("big") + b"\0" * (10 * 1024 * 1024)  # a PNG with 10 MiB of trailing bytes: over qwen's 10 MiB
    async with bed.bot():
        interaction = await bed.discord.slash(
            "alice", "edit", "qwen", image=("small.png", png("s")), image2=("big.png", big), instruction="x"
        )
        refused = await bed.discord.wait_original(interaction, lambda m: bool(m.text))
    assert "**image2**" in refused.text and "10 MiB" in refused.text
    assert bed.gateway.requests == []


async def test_a_corrupt_file_is_named_privately_and_nothing_shows_in_the_channel(bed: Bed) -> None:
    broken = png("cut")[:300]  # declared image/png by its name, but cut short
    async with bed.bot():
        interaction = await bed.discord.slash("alice", "edit", "qwen", image=("cut.png", broken), instruction="x")
        reply = await private_reply(bed, interaction)
    assert "**image**" in reply.text and "not a complete image" in reply.text
    assert bed.discord.original(interaction) is None or bed.discord.original(interaction).deleted  # type: ignore[union-attr]
    assert bed.gateway.requests == []


async def test_a_transparent_png_is_flattened_for_wan_and_the_member_is_told(bed: Bed) -> None:
    out = io.BytesIO()
    Image.new("RGBA", (400, 300), (0, 128, 255, 0)).save(out, "PNG")
    async with bed.bot():
        interaction = await bed.discord.slash(
            "alice", "edit", "wan", image=("clear.png", out.getvalue()), instruction="x"
        )
        result = await result_of(bed.discord, interaction)
    assert "Transparent parts of the input images were filled with white" in result.text
    (edit,) = bed.gateway.edits
    sent = Image.open(io.BytesIO(edit.images[0].data))
    assert sent.mode == "RGB" and sent.getpixel((0, 0)) == (255, 255, 255)


async def test_edit_image_on_a_members_upload(bed: Bed) -> None:
    upload = bed.discord.post_message("bob", files=[("one.png", png("one")), ("two.jpg", jpeg())])
    async with bed.bot():
        menu = await bed.discord.message_command("alice", "Edit image", upload)
        await bed.discord.wait_for(lambda: menu.acknowledged)
        form = menu.response["data"]  # type: ignore[index]
        submit = await bed.discord.submit_modal(
            "alice", form["custom_id"], {"model": ["wan"], "images": ["2", "1"], "instruction": "swap the colours"}
        )
        result = await result_of(bed.discord, submit)
    (edit,) = bed.gateway.edits
    assert edit.model == "wan2.7-image-pro" and edit.instruction == "swap the colours"
    assert edit.digests == [sha(png("one")), sha(jpeg())]  # the message's order, whichever were picked
    assert len(result.attachments) == 1


async def test_edit_image_on_a_bot_result(bed: Bed) -> None:
    async with bed.bot():
        original = await generate(bed)
        menu = await bed.discord.message_command("bob", "Edit image", original)
        await bed.discord.wait_for(lambda: menu.acknowledged)
        form = menu.response["data"]  # type: ignore[index]
        submit = await bed.discord.submit_modal("bob", form["custom_id"], {"instruction": "add a moon"})
        result = await result_of(bed.discord, submit)
    (edit,) = bed.gateway.edits
    assert edit.model == "qwen-image-2.0-pro" and edit.instruction == "add a moon"
    assert len(edit.images) == 1 and result.is_v2


async def test_too_many_images_for_the_model_are_refused(bed: Bed) -> None:
    upload = bed.discord.post_message("bob", files=[(f"{i}.png", png(str(i))) for i in range(4)])
    async with bed.bot():
        menu = await bed.discord.message_command("alice", "Edit image", upload)
        await bed.discord.wait_for(lambda: menu.acknowledged)
        form = menu.response["data"]  # type: ignore[index]
        submit = await bed.discord.submit_modal(
            "alice", form["custom_id"], {"model": ["qwen"], "images": ["1", "2", "3", "4"], "instruction": "x"}
        )
        refused = await bed.discord.wait_original(submit, lambda m: bool(m.text))
    assert refused.ephemeral_to is not None and "**images**" in refused.text and "at most 3" in refused.text
    assert bed.gateway.requests == []


async def test_edit_image_on_a_message_without_images(bed: Bed) -> None:
    words = bed.discord.post_message("bob", content="just words")
    async with bed.bot():
        menu = await bed.discord.message_command("alice", "Edit image", words)
        reply = await bed.discord.wait_original(menu, lambda m: bool(m.text))
    assert reply.ephemeral_to is not None and "no images" in reply.text


async def test_vary_region_sends_the_boxes_of_the_chosen_part(bed: Bed) -> None:
    async with bed.bot():
        original = await generate(bed, "wan", size="1K")
        click = await bed.discord.click("bob", original, button(original, "region"))
        await bed.discord.wait_for(lambda: click.acknowledged)
        form = click.response["data"]  # type: ignore[index]
        submit = await bed.discord.submit_modal(
            "bob", form["custom_id"], {"region": ["left"], "instruction": "a red door"}, message=original
        )
        result = await result_of(bed.discord, submit)
        record = await stored_job(bed, job_of(result), Status.DONE)
    (edit,) = bed.gateway.edits
    (image,) = edit.images
    assert edit.bbox_list == [[[0, 0, (image.width + 1) // 2 - 1, image.height - 1]]]
    assert edit.instruction == "a red door" and record.parent_id == job_of(original)


async def test_a_qwen_result_offers_no_vary_region(bed: Bed) -> None:
    async with bed.bot():
        original = await generate(bed, "qwen")
    assert not any(":region:" in i for i in original.custom_ids)


async def test_same_seed_on_an_edit_after_a_restart_resends_the_same_images(bed: Bed) -> None:
    photo, other = png("p"), jpeg()
    async with bed.bot():
        first = await result_of(
            bed.discord,
            await bed.discord.slash(
                "alice", "edit", "wan", image=("p.png", photo), image2=("o.jpg", other), instruction="blend them"
            ),
        )
    bed.discord.advance(3 * 24 * 3600)  # Discord's signed links have long expired: the inputs are the bot's own
    async with bed.bot():
        again = await result_of(bed.discord, await bed.discord.click("bob", first, button(first, "same")))
        remix_click = await bed.discord.click("bob", first, button(first, "remix"))
        await bed.discord.wait_for(lambda: remix_click.acknowledged)
        form = remix_click.response["data"]  # type: ignore[index]
        remix = await result_of(
            bed.discord, await bed.discord.submit_modal("bob", form["custom_id"], {"prompt": "blend them at dusk"})
        )
    first_edit, same_edit, remix_edit = bed.gateway.edits
    assert same_edit.digests == first_edit.digests == [sha(photo), sha(other)]
    assert same_edit.seed == first_edit.seed and len(again.attachments) == 1
    assert remix_edit.digests == first_edit.digests and remix_edit.instruction == "blend them at dusk"
    assert len(remix.attachments) == 1


async def test_edit_errors_are_in_the_members_language(bed: Bed) -> None:
    bed.discord.set_locale("carol", "zh-CN")
    async with bed.bot():
        interaction = await bed.discord.slash("carol", "edit", "wan", image=("n.txt", b"text"), instruction="x")
        refused = await bed.discord.wait_original(interaction, lambda m: bool(m.text))
    assert "**image**" in refused.text and "须为以下文件类型之一" in refused.text
