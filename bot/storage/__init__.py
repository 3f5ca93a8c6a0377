"""Persistence of generations: SQLite through aiosqlite, schema migrated at start-up."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import aiosqlite

from bot.gateway.models import GenerationRequest

_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_ID_LENGTH = 8  # 36**8 ≈ 2.8e12 ids: short to quote, collisions vanishingly rare (and retried)

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE generations (
        id           TEXT PRIMARY KEY,
        parent_id    TEXT REFERENCES generations(id) ON DELETE SET NULL,
        action       TEXT NOT NULL,
        guild_id     INTEGER,
        channel_id   INTEGER NOT NULL,
        user_id      INTEGER NOT NULL,
        model        TEXT NOT NULL,
        request      TEXT NOT NULL,
        seed         INTEGER NOT NULL,
        status       TEXT NOT NULL,
        message_id   INTEGER,
        image_count  INTEGER NOT NULL DEFAULT 0,
        gateway_request_id TEXT,
        error        TEXT,
        created_at   REAL NOT NULL,
        started_at   REAL,
        finished_at  REAL
    );
    CREATE INDEX generations_user ON generations(user_id, created_at);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    """
    ALTER TABLE generations ADD COLUMN status_message_id INTEGER;
    ALTER TABLE generations ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX generations_status ON generations(status, created_at);
    """,
    """
    ALTER TABLE generations ADD COLUMN overflow_message_ids TEXT NOT NULL DEFAULT '[]';
    """,
)


SCHEMA_VERSION = len(MIGRATIONS)  # the version a fully migrated database has


class Status(StrEnum):
    """Life cycle of a generation."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    """What started a generation."""

    IMAGINE = "imagine"
    SAME_SEED = "same_seed"
    NEW_SEED = "new_seed"
    VARIATION = "variation"
    REMIX = "remix"
    SHOW = "show"  # /show regenerated a result whose images were gone


@dataclass(frozen=True, slots=True)
class Generation:
    """One stored generation: who asked for what, where, and how it ended."""

    id: str
    parent_id: str | None
    action: Action
    guild_id: int | None
    channel_id: int
    user_id: int
    request: GenerationRequest
    status: Status
    message_id: int | None
    image_count: int
    gateway_request_id: str | None
    error: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    status_message_id: int | None = None
    attempts: int = 0
    overflow_message_ids: tuple[int, ...] = ()  # messages holding images 11 and up


class Storage:
    """The bot's database. Open it with :meth:`open`; one connection, serialized by aiosqlite."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    @classmethod
    @asynccontextmanager
    async def open(cls, path: str, *, migrate: bool = True) -> AsyncIterator[Storage]:
        """Open (creating if needed) the database at ``path``; bring its schema up to date unless told not to."""
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        async with aiosqlite.connect(path) as connection:
            connection.row_factory = aiosqlite.Row
            await connection.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL survives a killed process (our restart guarantee); only an OS crash
            # or power loss can drop the last commits. FULL would fsync on every commit, and the
            # acknowledgement of each command waits on a commit.
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA foreign_keys=ON")
            storage = cls(connection)
            if migrate:
                await storage.migrate()
            yield storage

    async def schema_version(self) -> int:
        """The schema version the database is at (0: empty); :data:`SCHEMA_VERSION` is current."""
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every pending migration, in order; return the version reached."""
        version = await self.schema_version()
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self._db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
        return max(version, SCHEMA_VERSION)

    async def create_generation(
        self,
        *,
        request: GenerationRequest,
        action: Action,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        parent_id: str | None = None,
    ) -> Generation:
        """Insert a new queued generation with a fresh short id."""
        now = time.time()
        while True:
            new_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
            try:
                await self._db.execute(
                    "INSERT INTO generations (id, parent_id, action, guild_id, channel_id, user_id, model,"
                    " request, seed, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (new_id, parent_id, action, guild_id, channel_id, user_id, request.model,
                     json.dumps(request.to_dict()), request.seed, Status.QUEUED, now),
                )  # fmt: skip
            except sqlite3.IntegrityError:
                continue  # id collision: draw again
            await self._db.commit()
            break
        return Generation(
            id=new_id, parent_id=parent_id, action=action, guild_id=guild_id, channel_id=channel_id,
            user_id=user_id, request=request, status=Status.QUEUED, message_id=None, image_count=0,
            gateway_request_id=None, error=None, created_at=now, started_at=None, finished_at=None,
        )  # fmt: skip

    async def get_generation(self, generation_id: str) -> Generation | None:
        """Load a generation by id, or ``None`` if it does not exist."""
        async with self._db.execute("SELECT * FROM generations WHERE id = ?", (generation_id,)) as cursor:
            row = await cursor.fetchone()
        return _generation(row) if row is not None else None

    async def set_status_message(self, generation_id: str, message_id: int | None) -> None:
        """Remember the message that shows this job's progress (and, usually, its result)."""
        await self._update(generation_id, status_message_id=message_id)

    async def mark_running(self, generation_id: str) -> None:
        """Record that the gateway call started (one more attempt)."""
        await self._db.execute(
            "UPDATE generations SET status = ?, started_at = ?, attempts = attempts + 1 WHERE id = ?",
            (Status.RUNNING, time.time(), generation_id),
        )
        await self._db.commit()

    async def mark_queued(self, generation_id: str) -> None:
        """Put an interrupted job back in the queue (shutdown before it finished)."""
        await self._update(generation_id, status=Status.QUEUED)

    async def mark_cancelled(self, generation_id: str) -> None:
        """Record a job cancelled before it started."""
        await self._update(generation_id, status=Status.CANCELLED, finished_at=time.time())

    async def unfinished(self) -> list[Generation]:
        """Queued and running jobs, oldest first: what a restart must resume."""
        async with self._db.execute(
            "SELECT * FROM generations WHERE status IN (?, ?) ORDER BY created_at, rowid",
            (Status.QUEUED, Status.RUNNING),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_generation(row) for row in rows]

    async def recent_for_user(self, user_id: int, limit: int = 10) -> list[Generation]:
        """A user's latest jobs, newest first."""
        async with self._db.execute(
            "SELECT * FROM generations WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (user_id, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_generation(row) for row in rows]

    async def mark_done(
        self,
        generation_id: str,
        *,
        message_id: int | None,
        image_count: int,
        gateway_request_id: str | None,
        overflow_message_ids: Sequence[int] = (),
    ) -> None:
        """Record a delivered result (and where images past the tenth went)."""
        await self._update(
            generation_id, status=Status.DONE, message_id=message_id, image_count=image_count,
            gateway_request_id=gateway_request_id, finished_at=time.time(),
            overflow_message_ids=json.dumps(list(overflow_message_ids)),
        )  # fmt: skip

    async def mark_failed(self, generation_id: str, *, error: str, message_id: int | None = None) -> None:
        """Record a failure and the message that explained it."""
        await self._update(
            generation_id, status=Status.FAILED, error=error, message_id=message_id, finished_at=time.time()
        )

    async def _update(self, generation_id: str, **columns: object) -> None:
        assignments = ", ".join(f"{name} = ?" for name in columns)
        await self._db.execute(
            f"UPDATE generations SET {assignments} WHERE id = ?",
            (*columns.values(), generation_id),
        )
        await self._db.commit()

    async def get_meta(self, key: str) -> str | None:
        """Read a small piece of bot state (e.g. the last synced command hash)."""
        async with self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row is not None else None

    async def set_meta(self, key: str, value: str) -> None:
        """Write a small piece of bot state."""
        await self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
        await self._db.commit()


def _generation(row: aiosqlite.Row) -> Generation:
    return Generation(
        id=row["id"],
        parent_id=row["parent_id"],
        action=Action(row["action"]),
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        user_id=row["user_id"],
        request=GenerationRequest.from_dict(json.loads(row["request"])),
        status=Status(row["status"]),
        message_id=row["message_id"],
        image_count=row["image_count"],
        gateway_request_id=row["gateway_request_id"],
        error=row["error"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        status_message_id=row["status_message_id"],
        attempts=row["attempts"],
        overflow_message_ids=tuple(json.loads(row["overflow_message_ids"])),
    )
