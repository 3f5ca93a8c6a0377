"""The embedded backend: one SQLite file, one connection, one process."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import cast

import aiosqlite

from .database import DatabaseUnavailable, Dialect, Params, Row, Session, WorkSignal


class _Statements:
    """Statements on the one connection (the caller holds the lock)."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._db.execute(sql, params) as cursor:
            return cursor.rowcount

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._db.execute(sql, params) as cursor:
            # sqlite3.Row is read by column name like a mapping (it is not registered as one).
            return cast(Row | None, await cursor.fetchone())

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._db.execute(sql, params) as cursor:
            return cast(list[Row], list(await cursor.fetchall()))


class SqliteDatabase:
    """SQLite through aiosqlite: statements are serialized on one connection, in autocommit mode.

    A transaction holds the connection's lock for its whole duration, so no other coroutine's
    statement can slip into it. Wake-ups are in-process: SQLite serves one process.
    """

    dialect = Dialect.SQLITE

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._statements = _Statements(connection)
        self._lock = asyncio.Lock()
        self._work = WorkSignal()

    @classmethod
    @asynccontextmanager
    async def open(cls, path: str) -> AsyncIterator[SqliteDatabase]:
        """Open (creating if needed) the database file at ``path``."""
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Opened once without aiosqlite first: a file that cannot be opened fails here, cleanly.
            # (aiosqlite's worker thread, after a failed connect, reports to an event loop that may
            # be closed by then, and prints a traceback on its way out.)
            await asyncio.to_thread(lambda: sqlite3.connect(path).close())
            connection = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise DatabaseUnavailable(f"cannot open the SQLite database {path}: {error}") from None
        try:
            connection.row_factory = aiosqlite.Row
            await connection.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL survives a killed process (our restart guarantee); only an OS crash
            # or power loss can drop the last commits. FULL would fsync on every commit, and the
            # acknowledgement of each command waits on a commit.
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as error:
            await connection.close()
            raise DatabaseUnavailable(f"cannot use the SQLite database {path}: {error}") from None
        database = cls(connection)
        try:
            yield database
        finally:
            await database.close()

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._lock:
            return await self._statements.execute(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._lock:
            return await self._statements.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._lock:
            return await self._statements.fetchall(sql, params)

    @asynccontextmanager
    async def transaction(self, *, locks: Sequence[str] = ()) -> AsyncIterator[Session]:
        # One process, one connection, one lock: every transaction here already runs alone.
        # BEGIN IMMEDIATE takes SQLite's write lock up front, so a transaction that reads and then
        # writes cannot fail half-way on a busy database.
        async with self._lock:
            await self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._statements
            except BaseException:
                await self._connection.execute("ROLLBACK")
                raise
            await self._connection.execute("COMMIT")

    async def notify(self) -> None:
        self._work.set()

    async def wait_for_work(self, timeout: float) -> None:
        await self._work.wait(timeout)

    async def close(self) -> None:
        await self._connection.close()
