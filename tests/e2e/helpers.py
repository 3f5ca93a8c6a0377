"""Small helpers for reading what the bot posted."""

from __future__ import annotations

from tests.fakes.discord import FakeDiscord, Interaction, Message
from tests.fakes.gateway import FakeGateway, image_key
from tests.fakes.images import render_png

WAN_PRESETS = {"1K": (1024, 1024), "2K": (2048, 2048), "4K": (4096, 4096)}


def expected_images(body: dict[str, object], count: int | None = None) -> list[bytes]:
    """The exact bytes the fake gateway produced for a recorded request body."""
    size = str(body["size"])
    width, height = WAN_PRESETS.get(size) or tuple(int(x) for x in size.split("*"))  # type: ignore[misc]
    prompt = body["input"]["messages"][0]["content"][0]["text"]  # type: ignore[index]
    n = int(body["n"]) if count is None else count  # type: ignore[call-overload]
    return [render_png(image_key(str(body["model"]), prompt, width, height, int(body["seed"]), i), width, height)  # type: ignore[call-overload]
            for i in range(n)]  # fmt: skip


def attachment_bytes(message: Message) -> list[bytes]:
    return [a.data for a in message.attachments]


IN_PROGRESS = ("⏳ **Queued**", "🎨 **Generating**", "⏸️ **Paused**")


def is_final(message: Message) -> bool:
    """The job's message shows its end: images, a failure or a cancellation."""
    return not message.loading and bool(message.content) and not message.content.startswith(IN_PROGRESS)


async def result_of(discord: FakeDiscord, interaction: Interaction, timeout: float = 15.0) -> Message:
    """Wait for the job started by ``interaction`` to end (images or an explanation)."""
    return await discord.wait_original(interaction, is_final, timeout)


def last_body(gateway: FakeGateway) -> dict[str, object]:
    return gateway.requests[-1]
