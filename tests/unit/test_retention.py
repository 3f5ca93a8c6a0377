"""Retention on both backends: old ended job records and old undelivered results go, open jobs stay."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.catalogue import QWEN, ImagineOptions
from bot.jobs.fairness import Limits, pick_next
from bot.metrics import Metrics
from bot.retention import DAY, Retention, RetentionPolicy, purge_undelivered
from bot.settings import Settings, SettingsError
from bot.storage.records import Action, Job, NewJob, Status
from bot.storage.store import Storage, open_storage
from tests.databases import BACKENDS, database_url

NOW = 1_800_000_000.0  # the tests' "now": every time below is relative to it
WIDE = Limits(global_running=100, user_running=100, user_pending=100, server_running=100)


@pytest.fixture(params=BACKENDS)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    async with database_url(request.param, tmp_path) as url, open_storage(url) as opened:
        yield opened


async def job_at(storage: Storage, created: float, *, parent: str | None = None) -> Job:
    request = QWEN.build_request(ImagineOptions(prompt="a lighthouse"), random_seed=lambda: 7)
    new = NewJob(request=request, action=Action.IMAGINE, guild_id=1, channel_id=5, user_id=3, parent_id=parent)
    job = await storage.jobs.admit(new, pending_limit=100, now=created)
    await storage.jobs.acknowledged(job.id, 42, now=created)
    return job


async def ended(storage: Storage, created: float, status: Status, *, parent: str | None = None) -> Job:
    job = await job_at(storage, created, parent=parent)
    if status is Status.CANCELLED:
        await storage.jobs.cancel(job.id, now=created)
    elif status is Status.FAILED:
        await storage.jobs.mark_failed(job.id, owner=None, error="x", now=created)
    else:
        await storage.jobs.mark_done(
            job.id, owner=None, message_id=1, image_count=1, gateway_request_id=None, now=created
        )
    return job


async def running_at(storage: Storage, created: float) -> Job:
    job = await job_at(storage, created)
    claimed = await storage.jobs.claim("me", pick=lambda state: pick_next(state, WIDE), lease=60, now=created)
    assert claimed is not None and claimed.id == job.id
    return job


def retention(storage: Storage, data_dir: Path, *, record_days: int | None, metrics: Metrics) -> Retention:
    policy = RetentionPolicy(undelivered_days=7, record_days=record_days)
    return Retention(storage.jobs, data_dir, policy, metrics=metrics, clock=lambda: NOW)


async def test_only_old_ended_records_are_purged(storage: Storage, tmp_path: Path) -> None:
    old = NOW - 40 * DAY
    old_done = await ended(storage, old, Status.DONE)
    old_failed = await ended(storage, old, Status.FAILED)
    old_cancelled = await ended(storage, old, Status.CANCELLED)
    old_running = await running_at(storage, old)  # a job older than the limit that still runs stays
    old_queued = await job_at(storage, old + 1)
    child = await ended(storage, NOW - 2 * DAY, Status.DONE, parent=old_done.id)  # a recent remix of an old one
    recent = await ended(storage, NOW - 29 * DAY, Status.DONE)
    metrics = Metrics()

    purged = await retention(storage, tmp_path, record_days=30, metrics=metrics).purge()

    assert purged.records == 3
    for gone in (old_done, old_failed, old_cancelled):
        assert await storage.jobs.get(gone.id) is None
    for kept in (old_running, old_queued, recent):
        assert await storage.jobs.get(kept.id) is not None
    kept_child = await storage.jobs.get(child.id)
    assert kept_child is not None and kept_child.parent_id is None  # its parent went; it did not
    counts = await storage.jobs.count_by_status()
    assert counts == {Status.QUEUED: 1, Status.RUNNING: 1, Status.DONE: 2, Status.FAILED: 0, Status.CANCELLED: 0}
    assert metrics.registry.get_sample_value("imagine_retention_purged_total", {"kind": "records"}) == 3


async def test_records_are_kept_forever_by_default(storage: Storage, tmp_path: Path) -> None:
    ancient = await ended(storage, NOW - 3650 * DAY, Status.DONE)
    purged = await retention(storage, tmp_path, record_days=None, metrics=Metrics()).purge()
    assert purged.records == 0 and await storage.jobs.get(ancient.id) is not None


def kept_result(data_dir: Path, job_id: str, age_days: float) -> Path:
    folder = data_dir / "undelivered" / job_id
    folder.mkdir(parents=True)
    (folder / f"{job_id}_1.png").write_bytes(b"png")
    written = NOW - age_days * DAY
    os.utime(folder, (written, written))
    return folder


async def test_undelivered_results_go_after_their_days(storage: Storage, tmp_path: Path) -> None:
    old, fresh = kept_result(tmp_path, "oldone", 7.5), kept_result(tmp_path, "freshone", 6.5)
    purged = await retention(storage, tmp_path, record_days=None, metrics=Metrics()).purge()
    assert purged.undelivered == 1 and not old.exists() and fresh.is_dir()


def test_purging_undelivered_without_a_folder_is_a_no_op(tmp_path: Path) -> None:
    assert purge_undelivered(tmp_path / "undelivered", before=NOW) == 0


async def test_one_log_line_with_the_counts(storage: Storage, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    await ended(storage, NOW - 31 * DAY, Status.DONE)
    kept_result(tmp_path, "oldone", 8)
    with caplog.at_level(logging.INFO, logger="bot.retention"):
        await retention(storage, tmp_path, record_days=30, metrics=Metrics()).purge()
    assert [r.getMessage() for r in caplog.records] == [
        "retention: purged 1 job records (kept 30 days) and 1 undelivered results (kept 7 days)"
    ]


class FlakyRecords:
    """A store whose first purge fails: the loop must log it and carry on."""

    def __init__(self) -> None:
        self.calls = 0
        self.second = asyncio.Event()

    async def purge_finished(self, *, before: float) -> int:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("database busy")
        self.second.set()
        return 0


async def test_periodic_purge_starts_at_once_and_survives_a_failure(tmp_path: Path) -> None:
    records = FlakyRecords()
    janitor = Retention(
        records, tmp_path, RetentionPolicy(record_days=1), metrics=Metrics(), clock=lambda: NOW, interval=0
    )
    janitor.start()
    await asyncio.wait_for(records.second.wait(), 10)
    await janitor.stop()
    calls = records.calls
    await asyncio.sleep(0)
    assert records.calls == calls  # stopped: no more purges


def test_settings_retention_defaults_and_validation() -> None:
    env = {"DISCORD_TOKEN": "t", "GATEWAY_API_KEY": "k"}
    settings = Settings.from_env(env)
    assert settings.undelivered_days == 7 and settings.retention_days is None
    configured = Settings.from_env({**env, "UNDELIVERED_DAYS": "3", "RETENTION_DAYS": "90"})
    assert configured.undelivered_days == 3 and configured.retention_days == 90
    for name in ("UNDELIVERED_DAYS", "RETENTION_DAYS"):
        with pytest.raises(SettingsError, match=f"{name} must be a whole number"):
            Settings.from_env({**env, name: "0"})
