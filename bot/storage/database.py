"""What the storage needs from a database, whichever it is: statements, transactions, wake-ups.

Statements are written once, with ``?`` placeholders and SQL that SQLite and PostgreSQL both
accept; each backend adapts them. Two backends implement :class:`Database`:
``bot.storage.sqlite`` (embedded, one process) and ``bot.storage.postgres`` (shared by many).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

Row = Mapping[str, Any]
Params = Sequence[Any]


CLAIMS = "claims"  # the lock every claim takes (and migrations, which must run once)


def user_lock(user_id: int) -> str:
    """The lock one member's admissions take."""
    return f"user:{user_id}"


def guild_lock(guild_id: int | None) -> str:
    """The lock a server's admissions (its daily allowance) and settings changes take; taken before a member's."""
    return f"guild:{guild_id or 0}"


class Dialect(StrEnum):
    """The database kinds the bot runs on."""

    SQLITE = "sqlite"
    POSTGRES = "postgresql"


class DatabaseUnavailable(Exception):
    """The database cannot be opened or reached; the message says which and why (no password)."""


class Session(Protocol):
    """Statements inside one transaction (or one auto-committed statement at a time)."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement; return the number of rows it changed."""

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """Run a query; return its first row."""

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query; return all its rows."""

    async def execute_each(self, statements: Sequence[tuple[str, Params]]) -> list[int]:
        """Run statements in order (sent together where the backend can); return each one's changed rows."""


class Database(Session, Protocol):
    """A connected database. Plain statements auto-commit; :meth:`transaction` groups them.

    Statements that change several jobs lock their rows in the order of their ids (``SELECT id …
    ORDER BY id`` followed by :attr:`for_update`), and a transaction that changes jobs and usage
    changes the jobs first: two transactions never wait for each other in a cycle. On PostgreSQL,
    a cycle would stall both for a second (its ``deadlock_timeout``), then abort one.
    """

    dialect: Dialect
    for_update: str  # appended to such a SELECT: " FOR UPDATE" where rows are locked one by one

    def transaction(self, *, locks: Sequence[str] = ()) -> AbstractAsyncContextManager[Session]:
        """A transaction, committed when the block ends normally and rolled back otherwise.

        Transactions naming the same lock run one at a time across every process sharing the
        database: :data:`CLAIMS` for job claims (counting the running jobs and taking a slot must
        not interleave), ``user:<id>`` for one member's admissions. Name locks in a fixed order.
        """

    async def notify(self) -> None:
        """Tell every process waiting in :meth:`wait_for_work` that a waiting job may start now.

        Called after the change that makes it so (a slot freed, a job queued) committed.
        """

    async def wait_for_work(self, timeout: float) -> None:
        """Return when the queue may have changed (a :meth:`notify` anywhere), or after ``timeout``."""

    async def close(self) -> None:
        """Release connections and background tasks."""


class WorkSignal:
    """This process's side of the queue's wake-ups: set by a notification, cleared by the waiter."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> None:
        """Return once set (then clear it), or after ``timeout`` seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._event.wait()
        self._event.clear()


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    """A parsed ``DATABASE_URL``: which backend, and where."""

    dialect: Dialect
    target: str  # the SQLite file, or the PostgreSQL conninfo URL

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        """Parse ``sqlite:///path`` or ``postgresql://…`` (also ``postgres://``); raise ValueError."""
        if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
            return cls(Dialect.SQLITE, url.removeprefix("sqlite:///"))
        scheme = urlsplit(url).scheme
        if scheme in ("postgresql", "postgres"):
            return cls(Dialect.POSTGRES, "postgresql" + url[len(scheme) :])
        raise ValueError(url)

    @property
    def safe(self) -> str:
        """The URL without its password, for logs and messages."""
        if self.dialect is Dialect.SQLITE:
            return f"sqlite:///{self.target}"
        parts = urlsplit(self.target)
        if parts.password is None:
            return self.target
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return parts._replace(netloc=netloc).geturl()
