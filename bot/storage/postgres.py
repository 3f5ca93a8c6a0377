"""The shared backend: PostgreSQL through psycopg 3 and its connection pool.

Many processes share one database: claims serialize on a transaction-scoped advisory lock, and
``LISTEN``/``NOTIFY`` wakes every process when a waiting job may start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from bot.tasks import stop_tasks

from .database import DatabaseUnavailable, DatabaseUrl, Dialect, Params, Row, Session, WorkSignal

log = logging.getLogger(__name__)

# Connections per process, all opened at start-up: a pool that grows on demand made the first
# burst of commands wait for new connections one at a time (ack p99 ~160-220 ms against ~87 ms).
POOL_SIZE = 10
CONNECT_TIMEOUT = 10.0  # seconds to get a connection before the database counts as unreachable
_RELISTEN_DELAY = 2.0
# At most one NOTIFY this often: each job that ends announces a free slot, and a NOTIFY each woke
# every process to claim (a round trip here, and a claim in each of them). The first goes at once.
NOTIFY_EVERY = 0.02
# A NOTIFY goes only while an answered job waits: a free slot that no job waits for woke every
# process to claim nothing (with two workers, 0.56 empty claims per job). It is checked after the
# change that asked for it committed, so a job answered before then is seen. A job answered after
# sees the free slot itself (its process claims as it records the answer), and its process
# announces it if it cannot start it. A job just admitted is not yet answered: its own process
# claims it once it is. Expired leases, and jobs whose process died before answering, are found
# by polling.
_WAKE = (
    "SELECT pg_notify(?, '') WHERE EXISTS (SELECT 1 FROM jobs WHERE status = 'queued' AND acknowledged_at IS NOT NULL)"
)
CLOSE_ANNOUNCE_TIMEOUT = 1.0


def _adapt(sql: str) -> str:
    # Statements are written with SQLite's `?`; psycopg takes `%s`. The shared SQL has no literal
    # `%` or `?` (patterns and values are always parameters).
    return sql.replace("?", "%s")


class _Statements:
    """Statements on one pooled connection (in a transaction: in pipeline mode, see ``transaction``)."""

    def __init__(self, connection: psycopg.AsyncConnection[Any], pipeline: psycopg.AsyncPipeline | None = None) -> None:
        self._connection = connection
        self._pipeline = pipeline

    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self._connection.execute(_adapt(sql), params)
        if self._pipeline is not None:
            await self._pipeline.sync()  # the row count is known once the statement ran
        return cursor.rowcount

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        cursor = await self._connection.execute(_adapt(sql), params)
        row: Row | None = await cursor.fetchone()
        return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        cursor = await self._connection.execute(_adapt(sql), params)
        return list(await cursor.fetchall())

    async def execute_each(self, statements: Sequence[tuple[str, Params]]) -> list[int]:
        if self._pipeline is None or not statements:
            return [await self.execute(sql, params) for sql, params in statements]
        cursors = [await self._connection.execute(_adapt(sql), params) for sql, params in statements]
        await self._pipeline.sync()  # one round trip for all of them
        return [cursor.rowcount for cursor in cursors]


class PostgresDatabase:
    """PostgreSQL: a pool for statements, one extra connection listening for queue changes."""

    dialect = Dialect.POSTGRES
    for_update = " FOR UPDATE"

    def __init__(self, pool: AsyncConnectionPool[Any], conninfo: str, schema: str) -> None:
        self._pool = pool
        self._conninfo = conninfo
        self._schema = schema
        self._channel = f"imagine_jobs_{schema}"  # per schema: test runs in one database never wake each other
        self._work = WorkSignal()
        self._listener: asyncio.Task[None] | None = None
        self._announcing: asyncio.Task[None] | None = None
        self._announce_wanted = False
        self._closing = False

    @classmethod
    @asynccontextmanager
    async def open(cls, url: DatabaseUrl) -> AsyncIterator[PostgresDatabase]:
        """Connect a pool to the database at ``url``."""
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url.target,
            min_size=POOL_SIZE,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True, "row_factory": dict_row},
            open=False,
            name="imagine",
        )
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        except (psycopg.Error, PoolTimeout) as error:
            await pool.close()
            raise DatabaseUnavailable(f"cannot connect to PostgreSQL at {url.safe}: {_reason(error)}") from None
        async with pool.connection() as connection:
            cursor = await connection.execute("SELECT current_schema() AS schema")
            row = await cursor.fetchone()
        assert row is not None
        database = cls(pool, url.target, str(row["schema"]))
        database._listener = asyncio.create_task(database._listen(), name="postgres-listen")
        try:
            yield database
        finally:
            await database.close()

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._pool.connection() as connection:
            return await _Statements(connection).execute(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._pool.connection() as connection:
            return await _Statements(connection).fetchone(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._pool.connection() as connection:
            return await _Statements(connection).fetchall(sql, params)

    async def execute_each(self, statements: Sequence[tuple[str, Params]]) -> list[int]:
        async with self.transaction() as tx:
            return await tx.execute_each(statements)

    @asynccontextmanager
    async def transaction(self, *, locks: Sequence[str] = ()) -> AsyncIterator[Session]:
        # In pipeline mode, BEGIN and the locks travel with the transaction's first statement, and
        # COMMIT goes out on its own: a transaction costs two round trips fewer (the server still
        # runs them in order, so each statement after a lock runs holding it).
        async with (
            self._pool.connection() as connection,
            connection.pipeline() as pipeline,
            connection.transaction(),
        ):
            for name in locks:  # per schema: test runs in one database never block each other
                await connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{self._schema}:{name}",))
            yield _Statements(connection, pipeline)

    async def notify(self) -> None:
        # This process hears it through its own LISTEN, as the others do, not at once: a process
        # whose job just ended had a head start on the slot it freed, took nearly every one, and
        # left the other processes idle.
        self._announce_wanted = True
        if self._closing:
            return
        if self._announcing is None or self._announcing.done():
            self._announcing = asyncio.create_task(self._announce(), name="postgres-notify")

    async def _announce(self) -> None:
        """Wake the other processes: at once, then at most once per :data:`NOTIFY_EVERY` for what came since."""
        while self._announce_wanted:
            self._announce_wanted = False
            try:
                await self.execute(_WAKE, (self._channel,))
            except psycopg.Error as error:  # the others poll as well: they notice a little later
                log.warning("waking the other processes failed: %s", _reason(error))
            await asyncio.sleep(NOTIFY_EVERY)

    async def wait_for_work(self, timeout: float) -> None:
        await self._work.wait(timeout)

    async def close(self) -> None:
        self._closing = True
        if self._announcing is not None:  # jobs given back at shutdown are announced before the pool closes
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._announcing), timeout=CLOSE_ANNOUNCE_TIMEOUT)
        await stop_tasks(self._announcing, self._listener)
        await self._pool.close()

    async def _listen(self) -> None:
        """Turn NOTIFYs from every process into local wake-ups; reconnect when the connection drops."""
        while True:
            try:
                connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
                async with connection:
                    await connection.execute(f'LISTEN "{self._channel}"')
                    self._work.set()  # anything announced while we were not listening
                    async for _ in connection.notifies():
                        self._work.set()
            except psycopg.Error as error:
                log.warning("listening for queue changes failed (%s); polling until it reconnects", _reason(error))
                await asyncio.sleep(_RELISTEN_DELAY)


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
