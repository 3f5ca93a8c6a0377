"""PostgreSQL: a process wakes the others (NOTIFY) only while an answered job waits, which one of them could start.

Every job that ends announces a free slot. When no job waits for it, a NOTIFY only made every
process run a claim that found nothing: with two workers, 0.56 such claims per job.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg

from bot.storage.store import open_storage
from tests.databases import database_url
from tests.storage.test_job_store import new_job

MARKER = "marker"


async def announcements(listener: psycopg.AsyncConnection[tuple[str]], url: str, channel: str) -> list[str]:
    """What another process's :meth:`notify` sends now: its NOTIFYs, up to a marker sent after it."""
    async with open_storage(url) as other:
        await other.database.notify()
    # (Closing waits for the announcement.) Notifications arrive in the order they were committed.
    await listener.execute("SELECT pg_notify(%s, %s)", (channel, MARKER))
    payloads = []
    async with asyncio.timeout(10):
        async for notification in listener.notifies():
            payloads.append(notification.payload)
            if notification.payload == MARKER:
                return payloads
    raise AssertionError("unreachable")


async def test_processes_are_woken_only_while_an_answered_job_waits(tmp_path: Path) -> None:
    async with database_url("postgres", tmp_path) as url, open_storage(url) as storage:
        listener = await psycopg.AsyncConnection.connect(url, autocommit=True)
        async with listener:
            cursor = await listener.execute("SELECT current_schema()")
            row = await cursor.fetchone()
            assert row is not None
            channel = f"imagine_jobs_{row[0]}"  # every process of this database listens here
            await listener.execute(f'LISTEN "{channel}"')
            idle = await announcements(listener, url, channel)
            admitted = await storage.jobs.admit(new_job(7), pending_limit=5, now=1.0)
            unanswered = await announcements(listener, url, channel)
            await storage.jobs.acknowledged(admitted.id, 1, now=1.0)
            waiting = await announcements(listener, url, channel)
            assert await storage.jobs.cancel(admitted.id, now=2.0)
            cancelled = await announcements(listener, url, channel)
    assert idle == [MARKER]  # nothing waits: nobody is woken
    assert unanswered == [MARKER]  # its own process claims it once the member is answered
    assert waiting == ["", MARKER]
    assert cancelled == [MARKER]
