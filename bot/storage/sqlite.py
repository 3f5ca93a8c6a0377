"""The embedded backend: one SQLite file, one connection, one process.

Statements run on the event loop's own thread. A statement of this schema takes tens of
microseconds (every query is indexed, and with WAL and ``synchronous=NORMAL`` a commit writes to
the page cache without waiting for the disk), which is less than handing it to a thread and
waking the loop again when it is done: that hand-off cost more than the statements themselves
and made every transaction wait several turns of a busy loop. Two things could take longer, and
neither runs here: a write that finds the file locked by another program (a ``migrate`` run
beside the bot) waits for it in a thread, and WAL checkpoints, which flush to disk, run in a
thread on their own connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar, cast

from .database import DatabaseUnavailable, Dialect, Params, Row, Session, WorkSignal

T = TypeVar("T")

BUSY_TIMEOUT = 5.0  # seconds a statement waits (in a thread) for another program's write lock
CHECKPOINT_PAGES = 1000  # checkpoint once the WAL holds this many pages (SQLite's own default)
CHECK_EVERY = 100  # commits between looks at the WAL's size


class _Statements:
    """Statements on the one connection (the caller holds the lock)."""

    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._db.run(lambda c: c.execute(sql, params).rowcount)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        # sqlite3.Row is read by column name like a mapping (it is not registered as one).
        return await self._db.run(lambda c: cast(Row | None, c.execute(sql, params).fetchone()))

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._db.run(lambda c: cast(list[Row], c.execute(sql, params).fetchall()))

    async def execute_each(self, statements: Sequence[tuple[str, Params]]) -> list[int]:
        return [await self.execute(sql, params) for sql, params in statements]


class SqliteDatabase:
    """SQLite in autocommit mode; statements are serialized on one connection by an asyncio lock.

    A transaction holds the lock for its whole duration, so no other coroutine's statement can
    slip into it; as its statements do not yield to the loop, it usually runs at once, whole.
    Wake-ups are in-process: SQLite serves one process.
    """

    dialect = Dialect.SQLITE
    for_update = ""  # one writer at a time: a transaction holds the whole database

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        self._connection = connection
        self._path = path
        self._statements = _Statements(self)
        self._lock = asyncio.Lock()
        self._work = WorkSignal()
        self._checkpoint: asyncio.Task[None] | None = None
        self._commits = 0

    @classmethod
    @asynccontextmanager
    async def open(cls, path: str) -> AsyncIterator[SqliteDatabase]:
        """Open (creating if needed) the database file at ``path``."""
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            connection = await asyncio.to_thread(sqlite3.connect, path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as error:
            raise DatabaseUnavailable(f"cannot open the SQLite database {path}: {error}") from None
        try:
            await asyncio.to_thread(_configure, connection)
        except sqlite3.Error as error:
            connection.close()
            raise DatabaseUnavailable(f"cannot use the SQLite database {path}: {error}") from None
        database = cls(connection, path)
        try:
            yield database
        finally:
            await database.close()

    async def run(self, statement: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``statement`` on the connection: here, or in a thread if another program holds the lock."""
        try:
            return statement(self._connection)
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
        return await asyncio.to_thread(self._patiently, statement)

    def _patiently(self, statement: Callable[[sqlite3.Connection], T]) -> T:
        self._connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        try:
            return statement(self._connection)
        finally:
            self._connection.execute("PRAGMA busy_timeout = 0")

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._lock:
            changed = await self._statements.execute(sql, params)
        self._after_commit()
        return changed

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._lock:
            return await self._statements.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._lock:
            return await self._statements.fetchall(sql, params)

    async def execute_each(self, statements: Sequence[tuple[str, Params]]) -> list[int]:
        async with self.transaction() as tx:
            return await tx.execute_each(statements)

    @asynccontextmanager
    async def transaction(self, *, locks: Sequence[str] = ()) -> AsyncIterator[Session]:
        # One process, one connection, one lock: every transaction here already runs alone.
        # BEGIN IMMEDIATE takes SQLite's write lock up front, so a transaction that reads and then
        # writes cannot fail half-way on a busy database.
        async with self._lock:
            await self.run(lambda c: c.execute("BEGIN IMMEDIATE"))
            try:
                yield self._statements
            except BaseException:
                if self._connection.in_transaction:
                    self._connection.execute("ROLLBACK")
                raise
            await self.run(lambda c: c.execute("COMMIT"))
        self._after_commit()

    def _after_commit(self) -> None:
        """Now and then, checkpoint the WAL in a thread if it has grown (never on the loop: it flushes to disk)."""
        self._commits += 1
        if self._commits % CHECK_EVERY == 0 and (self._checkpoint is None or self._checkpoint.done()):
            self._checkpoint = asyncio.create_task(asyncio.to_thread(_checkpoint_if_due, self._path))

    async def notify(self) -> None:
        self._work.set()

    async def wait_for_work(self, timeout: float) -> None:
        await self._work.wait(timeout)

    async def close(self) -> None:
        if self._checkpoint is not None:
            with contextlib.suppress(Exception):
                await self._checkpoint
        self._connection.close()


def _configure(connection: sqlite3.Connection) -> None:
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL survives a killed process (our restart guarantee); only an OS crash
    # or power loss can drop the last commits. FULL would fsync on every commit, and the
    # acknowledgement of each command waits on a commit.
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    # On the loop a statement never waits for a lock: a busy file is waited for in a thread (run()).
    connection.execute("PRAGMA busy_timeout = 0")
    # Checkpoints are ours to run, in a thread (see _after_commit).
    connection.execute("PRAGMA wal_autocheckpoint = 0")


def _checkpoint_if_due(path: str) -> None:
    """Copy the WAL back into the database once it holds :data:`CHECKPOINT_PAGES` (blocking)."""
    wal = Path(f"{path}-wal")
    with contextlib.suppress(OSError):
        if wal.stat().st_size < CHECKPOINT_PAGES * 4096:
            return
        with contextlib.closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT)) as connection:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
