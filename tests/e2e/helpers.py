"""Small helpers for reading what the bot posted."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import Callable

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.policy import ServerPolicy
from bot.storage import Job, Status, open_storage
from tests.bed import Bed
from tests.fakes.discord import FakeDiscord, Interaction, Message
from tests.fakes.gateway import FakeGateway, _inputs_digest, image_key
from tests.fakes.images import render_png

WAN_PRESETS = {"1K": (1024, 1024), "2K": (2048, 2048), "4K": (4096, 4096)}


def expected_images(body: dict[str, object], count: int | None = None) -> list[bytes]:
    """The exact bytes the fake gateway produced for a recorded request body."""
    size = str(body["size"])
    width, height = WAN_PRESETS.get(size) or tuple(int(x) for x in size.split("*"))  # type: ignore[misc]
    prompt = body["input"]["messages"][0]["content"][-1]["text"]  # type: ignore[index]
    n = int(body["n"]) if count is None else count  # type: ignore[call-overload]
    inputs = _inputs_digest(body)  # type: ignore[arg-type]
    return [render_png(image_key(str(body["model"]), prompt, width, height, int(body["seed"]), i, inputs),  # type: ignore[call-overload]
                       width, height) for i in range(n)]  # fmt: skip


def strip_png_text(png: bytes) -> bytes:
    """A PNG without its iTXt chunks: the bot adds its parameters there, the pixels are untouched."""
    if not png.startswith(b"\x89PNG"):
        return png
    out, position = [png[:8]], 8
    while position + 8 <= len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        end = position + 12 + length
        if png[position + 4 : position + 8] != b"iTXt":
            out.append(png[position:end])
        position = end
    return b"".join(out)


def attachment_bytes(message: Message) -> list[bytes]:
    """The posted images, byte for byte as the gateway made them (our metadata chunk removed)."""
    return [strip_png_text(a.data) for a in message.attachments]


IN_PROGRESS = ("⏳ **", "🎨 **", "⏸️ **")  # Queued, Generating, Paused (in any language)


def is_final(message: Message) -> bool:
    """The job's message shows its end: images, a failure or a cancellation."""
    return not message.loading and bool(message.text) and not message.text.startswith(IN_PROGRESS)


async def result_of(discord: FakeDiscord, interaction: Interaction, timeout: float = 15.0) -> Message:
    """Wait for the job started by ``interaction`` to end (images or an explanation)."""
    return await discord.wait_original(interaction, is_final, timeout)


def last_body(gateway: FakeGateway) -> dict[str, object]:
    return gateway.requests[-1]


async def stored_job(bed: Bed, job_id: str, status: Status, timeout: float = 10.0) -> Job:
    """The job as the database holds it, once it has reached ``status`` (the record follows the post)."""
    async with open_storage(bed.settings().database_url, migrate=False) as storage, asyncio.timeout(timeout):
        while (job := await storage.jobs.get(job_id)) is None or job.status is not status:  # noqa: ASYNC110
            await asyncio.sleep(0.02)  # another process's database: nothing to wait on but the rows
    return job


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def scrape(http: aiohttp.ClientSession, base: str) -> Samples:
    async with http.get(f"{base}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def set_policy(bed: Bed, change: Callable[[ServerPolicy], ServerPolicy]) -> None:
    async with open_storage(bed.settings().database_url) as storage:
        await storage.policies.update_policy(
            bed.discord.guild_id, lambda document: change(ServerPolicy.from_dict(document)).to_dict(), now=time.time()
        )
