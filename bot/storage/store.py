"""Opening the database named by ``DATABASE_URL``: the backend, its migrations, and the stores on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from . import migrations
from .database import Database, DatabaseUrl, Dialect
from .inputs import InputStore
from .jobs import JobStore
from .policies import PolicyStore
from .usage import UsageStore


class Storage:
    """The bot's database: one backend, the stores that use it, and its schema."""

    def __init__(self, database: Database, url: DatabaseUrl) -> None:
        self.database = database
        self.url = url
        self.jobs = JobStore(database)
        self.policies = PolicyStore(database)
        self.usage = UsageStore(database)
        self.inputs = InputStore(database)

    @property
    def dialect(self) -> Dialect:
        return self.database.dialect

    async def schema_version(self) -> int:
        """The schema version the database is at (0: empty); ``SCHEMA_VERSION`` is current."""
        return await migrations.schema_version(self.database, self.database.dialect)

    async def migrate(self) -> int:
        """Apply every pending migration; return the version reached."""
        return await migrations.migrate(self.database)

    async def get_meta(self, key: str) -> str | None:
        """Read a small piece of bot state (e.g. the last synced command hash)."""
        row = await self.database.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row["value"]) if row is not None else None

    async def set_meta(self, key: str, value: str) -> None:
        """Write a small piece of bot state."""
        await self.database.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def _backend(url: DatabaseUrl) -> AbstractAsyncContextManager[Database]:
    if url.dialect is Dialect.SQLITE:
        from .sqlite import SqliteDatabase

        return SqliteDatabase.open(url.target)
    # Imported only when used: an embedded deployment never loads the PostgreSQL driver.
    from .postgres import PostgresDatabase

    return PostgresDatabase.open(url)


@asynccontextmanager
async def open_storage(database_url: str, *, migrate: bool = True) -> AsyncIterator[Storage]:
    """Open the database at ``database_url``; bring its schema up to date unless told not to.

    Raises :class:`~bot.storage.database.DatabaseUnavailable` with one sentence when it cannot.
    """
    url = DatabaseUrl.parse(database_url)
    async with _backend(url) as database:
        storage = Storage(database, url)
        if migrate:
            await storage.migrate()
        yield storage
