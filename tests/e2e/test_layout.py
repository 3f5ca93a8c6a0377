"""Results as Components V2 messages: a container with the summary, a media gallery and persistent buttons."""

from __future__ import annotations

from bot.storage import Status
from tests.bed import Bed
from tests.fakes.discord._layout import walk

from .helpers import attachment_bytes, result_of, stored_job
from .test_results import button, generate, job_of


async def test_a_result_is_a_gallery_with_its_summary_and_buttons(bed: Bed) -> None:
    async with bed.bot():
        result = await generate(bed, "wan", count=3, prompt="a fox @everyone <@1>")
    assert result.is_v2 and result.content == "" and result.embeds == []
    (container,) = result.components
    assert container["type"] == 17  # one container holds everything
    gallery = bed.discord.gallery(result)
    assert [item.filename for item in gallery] == [a.filename for a in result.attachments]
    assert [item.description for item in gallery] == ["Image 1 of 3", "Image 2 of 3", "Image 3 of 3"]
    assert "Wan 2.7 Image Pro" in result.text and "3 images" in result.text
    assert not result.mention_everyone and result.mentions == []  # echoed text never pings
    job = job_of(result)
    actions = ["same", "new", "remix", "info", "delete", "region"]
    assert result.custom_ids == [f"img:{a}:{job}" for a in actions] + [f"img:var:{job}:{i}" for i in (1, 2, 3)]


async def test_a_qwen_result_has_no_vary_region(bed: Bed) -> None:
    async with bed.bot():
        result = await generate(bed, "qwen", count=2)
    assert result.is_v2 and not any(":region:" in i for i in result.custom_ids)


async def test_twelve_images_fill_a_gallery_of_ten_and_a_second_of_two(bed: Bed) -> None:
    async with bed.bot():
        first = await generate(bed, "wan", count=12, image_set=True)
        overflow = await bed.discord.wait_for(
            lambda: next((m for m in bed.discord.channel_messages() if m.id != first.id and m.attachments), None)
        )
    assert len(bed.discord.gallery(first)) == 10 and len(bed.discord.gallery(overflow)) == 2
    assert overflow.is_v2 and "(2/2)" in overflow.text
    assert [i.description for i in bed.discord.gallery(overflow)] == ["Image 11 of 12", "Image 12 of 12"]


async def test_the_buttons_of_a_gallery_work_after_a_restart(bed: Bed) -> None:
    async with bed.bot():
        original = await generate(bed, seed=5)
    async with bed.bot():
        again = await result_of(bed.discord, await bed.discord.click("bob", original, button(original, "same")))
        variation = await result_of(bed.discord, await bed.discord.click("bob", original, button(original, "var", 1)))
    assert again.is_v2 and attachment_bytes(again) == attachment_bytes(original)
    assert bed.gateway.requests[1]["seed"] == 5 and len(variation.attachments) == 1


async def test_a_result_in_the_classic_layout_keeps_working(bed: Bed) -> None:
    """Results posted before Components V2 have rows of buttons under plain content."""
    async with bed.bot():
        original = await generate(bed)
        job = job_of(original)
        await stored_job(bed, job, Status.DONE)
        classic = bed.discord.post_message("alice", content=f"**Qwen Image 2.0 Pro** · id `{job}`")
        classic.author = original.author  # as the bot posted it, in the old layout
        classic.components = [
            {"type": 1, "components": [{"type": 2, "style": 2, "label": "Same seed", "custom_id": f"img:same:{job}"}]}
        ]
        again = await result_of(bed.discord, await bed.discord.click("bob", classic, f"img:same:{job}"))
    assert len(again.attachments) == 1 and bed.gateway.requests[1]["seed"] == bed.gateway.requests[0]["seed"]


async def test_show_reposts_as_a_gallery(bed: Bed) -> None:
    async with bed.bot():
        original = await generate(bed, count=2)
        await stored_job(bed, job_of(original), Status.DONE)  # the ending is recorded just after it is posted
        shown = await result_of(
            bed.discord, await bed.discord.slash("bob", "show", option_values={"id": job_of(original)})
        )
    assert shown.is_v2 and [i.filename for i in bed.discord.gallery(shown)] == [a.filename for a in shown.attachments]
    assert attachment_bytes(shown) == attachment_bytes(original)
    texts = [c["content"] for c in walk(shown.components) if c.get("type") == 10]
    assert any("Re-posted by" in text for text in texts)
