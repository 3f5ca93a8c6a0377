"""Gateway errors and hostile answers end to end: what the member reads, and that nothing broken is posted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.client import ImagineBot
from bot.gateway.retry import MAX_ATTEMPTS
from bot.images import verify_image
from tests.bed import Bed
from tests.fakes.discord import Message
from tests.fakes.gateway import Fault

from .helpers import attachment_bytes, expected_images, last_body, result_of


@pytest.fixture(autouse=True)
def _log_everything(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)


def skip_backoff(bot: ImagineBot) -> None:
    """Retries happen at once: the waits between them are the retry policy's business, not these tests'."""
    bot.gateway._sleep = lambda _s: asyncio.sleep(0)  # type: ignore[method-assign]


def record_uploads(bed: Bed) -> list[bytes]:
    """Every file the bot ever uploads to the local Discord, even one a later edit replaced."""
    uploads: list[bytes] = []
    attach = bed.discord._attachment

    def recording(filename: str, data: bytes) -> object:
        uploads.append(data)
        return attach(filename, data)

    bed.discord._attachment = recording  # type: ignore[method-assign,assignment]
    return uploads


@asynccontextmanager
async def bot_answering(bed: Bed, response_format: str) -> AsyncIterator[ImagineBot]:
    bed.extra_env["GATEWAY_RESPONSE_FORMAT"] = response_format
    async with bed.bot() as bot:
        skip_backoff(bot)
        yield bot


async def imagine(bed: Bed, prompt: str = "a cat", **options: object) -> Message:
    interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt=prompt, size="512*512", **options)
    return await result_of(bed.discord, interaction)


async def test_a_rate_quota_then_success_delivers_the_images(bed: Bed, bot: ImagineBot) -> None:
    skip_backoff(bot)
    bed.gateway.fail_next_with(429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.")
    message = await imagine(bed, count=2)
    assert attachment_bytes(message) == expected_images(last_body(bed.gateway))
    assert len(bed.gateway.requests) == 2 and bed.gateway.requests[0] == bed.gateway.requests[1]


async def test_a_persistent_rate_quota_is_explained_as_a_rate_limit(bed: Bed, bot: ImagineBot) -> None:
    skip_backoff(bot)
    bed.gateway.fail_next_with(429, "Throttling.RateQuota", "Requests rate limit exceeded", times=MAX_ATTEMPTS)
    message = await imagine(bed)
    assert "rate limiting" in message.text and "credits" not in message.text
    assert message.attachments == [] and message.custom_ids[0].startswith("img:same:")  # Retry
    assert len(bed.gateway.requests) == MAX_ATTEMPTS
    retried = await result_of(bed.discord, await bed.discord.click("alice", message, message.custom_ids[0]))
    assert len(retried.attachments) == 1


@pytest.mark.parametrize(
    ("status", "code", "phrase", "retry_button"),
    [
        (429, "insufficient_user_quota", "out of credits", True),
        (400, "Arrearage", "upstream account is overdue", True),
        (503, "get_channel_failed", "no available channel for this model", True),
        (400, "IPInfringementSuspect", "copyright or trademark", False),
        (400, "InvalidParameter.DataInspection", "refused an input image", False),
    ],
)
async def test_answers_that_are_not_retried_say_who_must_act(
    bed: Bed, bot: ImagineBot, status: int, code: str, phrase: str, retry_button: bool
) -> None:
    bed.gateway.fail_next_with(status, code, f"{code} (request id: fake-{status})", times=MAX_ATTEMPTS)
    message = await imagine(bed)
    assert phrase in message.text and message.attachments == []
    assert ("Ask the bot's operator" in message.text) is retry_button  # these ones are the operator's
    assert bool(message.custom_ids) is retry_button
    assert len(bed.gateway.requests) == 1


@pytest.mark.parametrize("response_format", ["url", "b64_json"])
@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        pytest.param(Fault.BOMB_IMAGE, "declares 50000×50000 pixels", id="bomb"),
        pytest.param(Fault.TRUNCATED_IMAGE, "it is truncated", id="truncated"),
    ],
)
async def test_a_hostile_image_is_a_malformed_answer_and_nothing_broken_is_posted(
    bed: Bed, caplog: pytest.LogCaptureFixture, response_format: str, fault: Fault, reason: str
) -> None:
    uploads = record_uploads(bed)
    async with bot_answering(bed, response_format):
        bed.gateway.fail_next(fault)
        message = await imagine(bed, count=2)
        assert "malformed answer" in message.text and reason in message.text
        assert "error id" not in message.text  # not an unexpected error
        assert uploads == [] and message.attachments == []
        assert len(bed.gateway.requests) == 1  # verifying is not generating again
        assert not [r for r in caplog.records if r.exc_info or "unexpectedly" in r.getMessage()]

        retried = await result_of(bed.discord, await bed.discord.click("alice", message, message.custom_ids[0]))
    assert attachment_bytes(retried) == expected_images(last_body(bed.gateway))
    assert len(uploads) == 2 and all(verify_image(upload)[0] == "PNG" for upload in uploads)


async def test_a_palette_ratio_that_overflows_is_refused_before_the_gateway(bed: Bed, bot: ImagineBot) -> None:
    palette = "#1B2A41 1E+999998, #324A5F 25, #FFFFFF 45"
    interaction = await bed.discord.slash("alice", "imagine", "wan", prompt="a harbour", palette=palette)
    message = await bed.discord.wait_original(interaction, lambda m: bool(m.text))
    assert interaction.ack_type == 4 and message.ephemeral_to == bed.discord.users["alice"].id
    assert "**palette** a ratio must be a plain number" in message.text
    assert "You gave: `#1B2A41 1E+999998`" in message.text
    assert bed.gateway.requests == []  # refused in the command itself: no job was made
