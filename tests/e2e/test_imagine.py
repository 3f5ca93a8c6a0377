"""/imagine end to end: the real discord.py client against the local Discord and gateway."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.client import ImagineBot
from tests.bed import Bed
from tests.fakes.discord._layout import walk
from tests.fakes.gateway import Fault

from .helpers import attachment_bytes, expected_images, last_body, result_of

QWEN_FIELDS = {"prompt", "negative_prompt", "size", "count", "prompt_rewrite", "watermark", "seed"}
WAN_FIELDS = {"prompt", "size", "count", "thinking", "image_set", "palette", "watermark", "seed"}


def subcommand(bed: Bed, name: str) -> dict[str, object]:
    return next(o for o in bed.discord.registered("imagine")["options"] if o["name"] == name)


async def test_commands_are_registered_with_every_field_of_both_models(bed: Bed, bot: ImagineBot) -> None:
    qwen, wan = subcommand(bed, "qwen"), subcommand(bed, "wan")
    assert {o["name"] for o in qwen["options"]} == QWEN_FIELDS  # type: ignore[index,union-attr]
    assert {o["name"] for o in wan["options"]} == WAN_FIELDS  # type: ignore[index,union-attr]
    ranges = {o["name"]: (o.get("min_value"), o.get("max_value")) for o in wan["options"]}  # type: ignore[union-attr]
    assert ranges["count"] == (1, 12) and ranges["seed"] == (0, 2147483647)
    assert all(o.get("autocomplete") for o in qwen["options"] if o["name"] == "size")  # type: ignore[union-attr,index]
    assert bed.discord.command_puts == 1
    assert str(bed.discord.guild_id) in bed.discord.commands  # DEV_GUILD_ID: synced to the guild


async def test_commands_are_not_resynced_when_unchanged(bed: Bed) -> None:
    async with bed.bot():
        pass
    async with bed.bot():
        pass
    assert bed.discord.command_puts == 1


async def test_qwen_with_every_option(bed: Bed, bot: ImagineBot) -> None:
    interaction = await bed.discord.slash(
        "alice", "imagine", "qwen", prompt="a red fox in snow", negative_prompt="blurry", size="1024x768",
        count=2, prompt_rewrite=False, watermark=True, seed=0,
    )  # fmt: skip
    message = await result_of(bed.discord, interaction)
    job = re.search(r"id `([0-9a-z]+)`", message.text)[1]  # type: ignore[index]
    assert interaction.ack_type == 5  # deferred (thinking) before anything slow
    body = last_body(bed.gateway)
    assert body == {
        "model": "qwen-image-2.0-pro", "response_format": "url",
        "input": {"messages": [{"role": "user", "content": [{"text": "a red fox in snow"}]}]},
        "size": "1024*768", "n": 2, "watermark": True, "seed": 0, "negative_prompt": "blurry", "prompt_extend": False,
    }  # fmt: skip
    assert attachment_bytes(message) == expected_images(body)
    assert [a.filename.endswith(".png") for a in message.attachments] == [True, True]
    assert "Qwen Image 2.0 Pro" in message.text and "1024×768" in message.text
    assert "seed `0`" in message.text and "2 images" in message.text
    assert "a red fox in snow" in message.text
    assert f"<@{bed.discord.users['alice'].id}>" in message.text
    assert message.mentions == [] and not message.mention_everyone
    assert message.custom_ids == [f"img:{a}:{job}" for a in ("same", "new", "remix", "info", "delete")] + [
        f"img:var:{job}:{i}" for i in (1, 2)
    ]
    assert bed.discord.errors == []


async def test_wan_with_palette_and_defaults(bed: Bed, bot: ImagineBot) -> None:
    interaction = await bed.discord.slash(
        "bob", "imagine", "wan", prompt="a flower shop", size="1k", palette="#C2D1E6 40, #1B2A41 35, #F2E9E4 25",
        thinking=False,
    )  # fmt: skip
    message = await result_of(bed.discord, interaction)
    body = last_body(bed.gateway)
    assert body["size"] == "1K" and body["n"] == 1 and body["thinking_mode"] is False
    assert body["enable_sequential"] is False and body["watermark"] is False
    assert body["color_palette"] == [{"hex": "#C2D1E6", "ratio": "40.00%"}, {"hex": "#1B2A41", "ratio": "35.00%"},
                                     {"hex": "#F2E9E4", "ratio": "25.00%"}]  # fmt: skip
    assert 0 <= body["seed"] <= 2147483647  # type: ignore[operator]
    assert f"seed `{body['seed']}`" in message.text  # the chosen seed is shown
    assert attachment_bytes(message) == expected_images(body)


async def test_wan_image_set_of_twelve_is_split_over_two_messages(bed: Bed, bot: ImagineBot) -> None:
    interaction = await bed.discord.slash("alice", "imagine", "wan", prompt="a comic", size="1K", count=12,
                                          image_set=True)  # fmt: skip
    first = await result_of(bed.discord, interaction)
    rest = await bed.discord.wait_for(
        lambda: next((m for m in bed.discord.channel_messages() if m.id != first.id and m.attachments), None)
    )
    assert len(first.attachments) == 10 and len(rest.attachments) == 2
    assert attachment_bytes(first) + attachment_bytes(rest) == expected_images(last_body(bed.gateway))


async def test_mentions_in_prompts_never_ping(bed: Bed, bot: ImagineBot) -> None:
    carol = bed.discord.users["carol"].id
    interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt=f"@everyone look <@{carol}> **bold**")
    message = await result_of(bed.discord, interaction)
    assert message.mentions == [] and not message.mention_everyone
    assert "\\*\\*bold\\*\\*" in message.text  # markdown escaped, the quote cannot break out


async def test_size_autocomplete(bed: Bed, bot: ImagineBot) -> None:
    choices = await bed.discord.autocomplete("alice", "imagine", "wan", focused="size", prompt="x", size="")
    assert {c["value"] for c in choices} >= {"1K", "2K", "4K", "2560*1440"}
    typed = await bed.discord.autocomplete("alice", "imagine", "qwen", focused="size", prompt="x", size="1000x1000")
    assert typed[0] == {"name": "1000×1000 (as typed)", "value": "1000*1000"}
    ratio = await bed.discord.autocomplete("alice", "imagine", "qwen", focused="size", prompt="x", size="16:9")
    assert ratio[0]["value"] == "2688*1536"


@pytest.mark.parametrize(
    ("model", "options", "expected"),
    [
        (
            "qwen",
            {"size": "4096*4096"},
            "**size** must be W*H with total pixels between 512×512 and 2048×2048",
        ),
        ("qwen", {"size": "banana"}, "You gave: `banana`"),
        ("wan", {"count": 8}, "**count** must be 1 to 4 (up to 12 with image-set mode)"),
        ("wan", {"size": "4K", "image_set": True}, "in image-set mode"),
        ("wan", {"palette": "#FFFFFF, #000000"}, "**palette** needs 3 to 10 colours"),
        (
            "wan",
            {"palette": "#FFFFFF, #000000, #123456", "image_set": True},
            "cannot be combined with image-set",
        ),
        ("wan", {"image_set": True, "thinking": True}, "**thinking** only works with image-set mode"),
    ],
)
async def test_invalid_input_is_explained_ephemerally_and_never_sent(
    bed: Bed, bot: ImagineBot, model: str, options: dict[str, object], expected: str
) -> None:
    interaction = await bed.discord.slash("alice", "imagine", model, prompt="a cat", **options)
    message = await bed.discord.wait_original(interaction, lambda m: bool(m.text))
    assert interaction.ack_type == 4 and message.ephemeral_to == bed.discord.users["alice"].id
    assert expected in message.text
    await asyncio.sleep(0.1)
    assert bed.gateway.requests == []


async def test_same_seed_and_new_seed(bed: Bed, bot: ImagineBot) -> None:
    first = await bed.discord.slash("alice", "imagine", "qwen", prompt="a lighthouse", size="512*512", count=2)
    original = await result_of(bed.discord, first)
    same_id, new_id = original.custom_ids[:2]

    same = await bed.discord.click("bob", original, same_id)
    same_message = await result_of(bed.discord, same)
    assert same.ack_type == 5 and same_message.id != original.id
    assert bed.gateway.requests[1] == bed.gateway.requests[0]
    assert attachment_bytes(same_message) == attachment_bytes(original)
    assert f"<@{bed.discord.users['bob'].id}>" in same_message.text  # the presser owns the new job

    new = await bed.discord.click("alice", original, new_id)
    new_message = await result_of(bed.discord, new)
    assert bed.gateway.requests[2]["seed"] != bed.gateway.requests[0]["seed"]
    assert {**bed.gateway.requests[2], "seed": 0} == {**bed.gateway.requests[0], "seed": 0}
    assert attachment_bytes(new_message) != attachment_bytes(original)
    assert attachment_bytes(new_message) == expected_images(bed.gateway.requests[2])
    # each result has its own, distinct buttons
    ids = [*original.custom_ids, *same_message.custom_ids, *new_message.custom_ids]
    assert len(ids) == len(set(ids)) == 3 * 7


async def test_buttons_survive_a_restart(bed: Bed) -> None:
    async with bed.bot():
        first = await bed.discord.slash("alice", "imagine", "wan", prompt="a harbour", size="1K")
        original = await result_of(bed.discord, first)
    async with bed.bot():  # new process state, same database
        click = await bed.discord.click("carol", original, original.custom_ids[0])
        again = await result_of(bed.discord, click)
    assert attachment_bytes(again) == attachment_bytes(original)
    assert bed.discord.errors == []


async def test_unknown_record_gets_an_ephemeral_explanation(bed: Bed, bot: ImagineBot) -> None:
    first = await bed.discord.slash("alice", "imagine", "qwen", prompt="x", size="512*512")
    original = await result_of(bed.discord, first)
    button = next(c for c in walk(original.components) if c.get("custom_id", "").startswith("img:same:"))
    button["custom_id"] = "img:same:zzzzzzzz"  # a record that never existed
    click = await bed.discord.click("bob", original, "img:same:zzzzzzzz")
    reply = await bed.discord.wait_original(click, lambda m: bool(m.text))
    assert reply.ephemeral_to == bed.discord.users["bob"].id and "no longer stored" in reply.text
    assert len(bed.gateway.requests) == 1


@pytest.mark.parametrize(
    ("fault", "phrase", "retry"),
    [
        (Fault.MODERATION, "content filter refused this prompt", False),
        (Fault.RESULT_MODERATION, "refused the image it produced", True),
        (Fault.QUOTA, "out of credits", True),
        (Fault.UNAUTHORIZED, "refused the bot's API key", False),
        (Fault.MALFORMED, "no usable image", True),
        (Fault.EMPTY, "no usable image", True),
        (Fault.IMAGE_404, "no usable image", True),
        (Fault.CORRUPT_IMAGE, "no usable image", True),
    ],
)
async def test_gateway_failures_get_specific_messages(
    bed: Bed, bot: ImagineBot, fault: Fault, phrase: str, retry: bool
) -> None:
    bed.gateway.fail_next(fault)
    interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="a cat", size="512*512")
    message = await result_of(bed.discord, interaction)
    assert phrase in message.text and message.attachments == []
    assert bool(message.custom_ids) is retry
    if retry:  # Retry re-runs the identical request and now succeeds
        click = await bed.discord.click("alice", message, message.custom_ids[0])
        retried = await result_of(bed.discord, click)
        assert len(retried.attachments) == 1
        assert bed.gateway.requests[-1] == bed.gateway.requests[0]


async def test_persistent_rate_limit_and_server_errors(bed: Bed, bot: ImagineBot) -> None:
    bot.gateway._sleep = lambda _s: asyncio.sleep(0)  # type: ignore[method-assign]  # skip the real backoff waits
    bed.gateway.fail_next(Fault.RATE_LIMIT, times=3)
    limited = await result_of(
        bed.discord, await bed.discord.slash("alice", "imagine", "qwen", prompt="a", size="512*512")
    )
    assert "rate limiting" in limited.text
    bed.gateway.fail_next(Fault.UNAVAILABLE, times=3)
    down = await result_of(bed.discord, await bed.discord.slash("alice", "imagine", "qwen", prompt="b", size="512*512"))
    assert "having trouble" in down.text
    assert len(bed.gateway.requests) == 6


async def test_fewer_images_than_asked_delivers_what_arrived(bed: Bed, bot: ImagineBot) -> None:
    bed.gateway.fail_next(Fault.FEWER)
    interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="twins", size="512*512", count=3)
    message = await result_of(bed.discord, interaction)
    assert len(message.attachments) == 2 and "returned 2 of 3 images" in message.text


async def test_summary_id_matches_the_buttons(bed: Bed, bot: ImagineBot) -> None:
    interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="x", size="512*512")
    message = await result_of(bed.discord, interaction)
    shown = re.search(r"id `([0-9a-z]+)`", message.text)
    assert shown is not None and all(f":{shown[1]}" in cid for cid in message.custom_ids)


async def test_b64_json_mode_end_to_end(bed: Bed) -> None:
    bed.extra_env["GATEWAY_RESPONSE_FORMAT"] = "b64_json"
    async with bed.bot():
        message = await result_of(bed.discord, await bed.discord.slash("alice", "imagine", "qwen", prompt="inline"))
    body = last_body(bed.gateway)
    assert body["response_format"] == "b64_json"
    assert attachment_bytes(message) == expected_images(body)


async def test_bot_resumes_after_the_websocket_drops(bed: Bed, bot: ImagineBot) -> None:
    identifies = bed.discord.identify_count
    await bed.discord.disconnect_bot()
    await bed.discord.wait_for(lambda: bed.discord.resumes >= 1, timeout=30)
    assert bed.discord.identify_count == identifies  # resumed the session rather than identifying again
    message = await result_of(bed.discord, await bed.discord.slash("alice", "imagine", "qwen", prompt="after"))
    assert len(message.attachments) == 1
