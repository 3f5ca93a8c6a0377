"""Stopping background tasks: a cancellation lost inside a library is repeated until the task ends."""

from __future__ import annotations

import asyncio

import pytest

from bot import tasks
from bot.tasks import stop_tasks


async def test_a_task_that_lost_its_cancellation_is_cancelled_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "RECANCEL_AFTER", 0.05)
    lost = asyncio.Event()

    async def loop() -> None:  # like the retention loop when a library swallowed the cancellation
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            lost.set()
        await asyncio.sleep(3600)  # its next long sleep

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)
    await asyncio.wait_for(stop_tasks(task, None), timeout=10)
    assert lost.is_set() and task.cancelled()


async def test_a_task_that_failed_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def fail() -> None:
        raise RuntimeError("broken")

    task = asyncio.create_task(fail(), name="doomed")
    await asyncio.sleep(0)
    await stop_tasks(task)
    assert "doomed failed while stopping" in caplog.text
