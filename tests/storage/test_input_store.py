"""The input store on SQLite and PostgreSQL: once per content, linked to jobs by the database, purged
when no job names an input any more; and an edit job sends exactly its stored images, in order."""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from bot.catalogue import WAN, EditOptions, Region
from bot.gateway import GatewayClient
from bot.inputs import CheckedImage, inspect_image, store_all
from bot.jobs.producer import Producer
from bot.metrics import Metrics
from bot.retention import DAY, Retention, RetentionPolicy
from bot.storage.inputs import InputsMissing
from bot.storage.records import Action, Job, NewJob, Status
from bot.storage.store import Storage, open_storage
from tests.databases import BACKENDS, database_url
from tests.fakes.gateway import API_KEY, FakeGateway

NOW = 1_800_000_000.0


@pytest.fixture(params=BACKENDS)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    async with database_url(request.param, tmp_path) as url, open_storage(url) as opened:
        yield opened


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def checked(width: int = 320, height: int = 240, colour: tuple[int, int, int] = (1, 2, 3)) -> CheckedImage:
    return inspect_image(png(width, height, colour), WAN.edit, field="image")


async def admit_edit(storage: Storage, images: list[CheckedImage], *, now: float = NOW, **options: object) -> Job:
    request = WAN.build_edit(EditOptions("paint it", **options), images, random_seed=lambda: 11)  # type: ignore[arg-type]
    new = NewJob(request=request, action=Action.SAME_SEED, guild_id=1, channel_id=5, user_id=3)
    job = await storage.jobs.admit(new, pending_limit=100, now=now)
    await storage.jobs.acknowledged(job.id, 42, now=now)
    return job


async def test_inputs_are_stored_once_per_content_and_read_back_in_order(storage: Storage) -> None:
    a, b = checked(colour=(1, 1, 1)), checked(640, 480, colour=(2, 2, 2))
    first = await storage.inputs.put(a.data, media_type="image/png", width=320, height=240, now=NOW)
    again = await storage.inputs.put(a.data, media_type="image/png", width=320, height=240, now=NOW + 5)
    await storage.inputs.put(b.data, media_type="image/png", width=640, height=480, now=NOW)
    assert first.digest == again.digest == a.digest == hashlib.sha256(a.data).hexdigest()
    row = await storage.database.fetchone("SELECT COUNT(*) AS n FROM inputs")
    assert row is not None and row["n"] == 2
    assert await storage.inputs.load([b.digest, a.digest, b.digest]) == [b.data, a.data, b.data]
    described = await storage.inputs.describe([a.digest, b.digest])
    assert [(d.width, d.height, d.byte_size, d.media_type) for d in described] == [
        (320, 240, len(a.data), "image/png"),
        (640, 480, len(b.data), "image/png"),
    ]
    assert described[0].stored_at == NOW + 5  # storing the same bytes again renews it
    with pytest.raises(InputsMissing) as missing:
        await storage.inputs.load([a.digest, "f" * 64])
    assert missing.value.digests == ("f" * 64,)


async def test_a_job_is_linked_to_its_inputs_by_the_database(storage: Storage) -> None:
    a, b = checked(colour=(1, 1, 1)), checked(colour=(2, 2, 2))
    await store_all(storage.inputs, [a, b], now=NOW)
    job = await admit_edit(storage, [a, b, a])
    assert sorted(await storage.inputs.referenced_by(job.id)) == sorted([a.digest, b.digest])
    stored = await storage.jobs.get(job.id)
    assert stored is not None and stored.request.inputs == (a.digest, b.digest, a.digest)


async def test_a_job_naming_an_input_that_is_not_stored_is_refused(storage: Storage) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        await admit_edit(storage, [checked()])  # never stored
    assert await storage.jobs.recent_for_user(3) == []


async def test_unused_inputs_are_purged_after_the_grace_and_named_ones_never(storage: Storage) -> None:
    named, orphan, fresh = checked(colour=(1, 1, 1)), checked(colour=(2, 2, 2)), checked(colour=(3, 3, 3))
    await store_all(storage.inputs, [named, orphan], now=NOW - 3 * DAY)
    await store_all(storage.inputs, [fresh], now=NOW)
    job = await admit_edit(storage, [named], now=NOW - 3 * DAY)
    assert await storage.inputs.purge_unused(before=NOW - DAY) == 1
    assert await storage.inputs.load([named.digest, fresh.digest])
    with pytest.raises(InputsMissing):
        await storage.inputs.load([orphan.digest])
    # Once the job's record is purged, nothing names its input: it goes at the next purge.
    await storage.jobs.mark_failed(job.id, owner=None, error="x", now=NOW - 3 * DAY)
    assert await storage.jobs.purge_finished(before=NOW - 2 * DAY) == 1
    assert await storage.inputs.referenced_by(job.id) == []
    assert await storage.inputs.purge_unused(before=NOW - DAY) == 1
    assert await storage.inputs.load([fresh.digest])


async def test_retention_purges_unused_inputs_with_the_records(
    storage: Storage, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = checked(colour=(4, 4, 4))
    await store_all(storage.inputs, [old], now=NOW - 40 * DAY)
    job = await admit_edit(storage, [old], now=NOW - 40 * DAY)
    await storage.jobs.mark_failed(job.id, owner=None, error="x", now=NOW - 40 * DAY)
    policy = RetentionPolicy(record_days=30)
    retention = Retention(storage.jobs, tmp_path, policy, metrics=Metrics(), clock=lambda: NOW, inputs=storage.inputs)
    with caplog.at_level(logging.INFO, logger="bot.retention"):
        purged = await retention.purge()
    assert (purged.records, purged.inputs) == (1, 1)
    assert "1 input images" in caplog.text


async def test_an_edit_job_sends_exactly_its_stored_images_in_order(
    storage: Storage, fake_gateway: FakeGateway, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    images = [checked(640, 480, (200, 0, 0)), checked(300, 500, (0, 200, 0)), checked(400, 400, (0, 0, 200))]
    await store_all(storage.inputs, images, now=NOW)
    job = await admit_edit(storage, images, region=Region.LEFT_HALF, region_image=2)
    gateway = GatewayClient(http, base_url=fake_gateway.base_url, api_key=API_KEY)
    producer = Producer(gateway, storage.inputs)

    async def no_source(_: object) -> bytes:
        raise AssertionError("an edit of stored inputs never fetches from Discord")

    try:
        produced = await producer.produce(job, upload_limit=10 * 1024 * 1024, fetch_source=no_source)
        produced.discard()
        # Same seed after a restart: the stored job, read back, sends the same images again.
        again = await storage.jobs.get(job.id)
        assert again is not None and again.status is Status.QUEUED
        (await producer.produce(again, upload_limit=10 * 1024 * 1024, fetch_source=no_source)).discard()
    finally:
        producer.close()
    first, second = fake_gateway.edits
    assert first.digests == second.digests == [image.digest for image in images]
    assert first.instruction == "paint it" and first.model == WAN.model_id
    assert first.bbox_list == [[], [], [[0, 0, 199, 399]]]
    assert [image.media_type for image in first.images] == ["image/png"] * 3
