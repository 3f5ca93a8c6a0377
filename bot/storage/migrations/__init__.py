"""Versioned schema migrations: plain SQL files per dialect, numbered, and a schema-version table.

``sqlite/0004_queue_in_database.sql`` and ``postgres/0004_queue_in_database.sql`` are the same
step written for each database; both dialects always have the same numbers. A SQLite database
from before the version table kept its version in ``PRAGMA user_version``; it is adopted as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from ..database import CLAIMS, Database, Dialect, Session

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered step of the schema."""

    version: int
    name: str
    sql: str


def migrations(dialect: Dialect) -> list[Migration]:
    """Every migration of ``dialect``, in order."""
    folder = resources.files(__package__).joinpath("sqlite" if dialect is Dialect.SQLITE else "postgres")
    steps = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match is not None:
            steps.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    steps.sort(key=lambda step: step.version)
    if [step.version for step in steps] != list(range(1, len(steps) + 1)):
        raise RuntimeError(f"{dialect} migrations are not numbered 1..n: {[s.version for s in steps]}")
    return steps


SCHEMA_VERSION = len(migrations(Dialect.SQLITE))  # what a fully migrated database is at


async def schema_version(database: Session, dialect: Dialect) -> int:
    """The version the database is at (0: empty)."""
    if dialect is Dialect.SQLITE:
        exists = await database.fetchone("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
        if exists is None:
            legacy = await database.fetchone("PRAGMA user_version")
            return int(legacy["user_version"]) if legacy is not None else 0
    else:
        exists = await database.fetchone("SELECT to_regclass('schema_version') IS NOT NULL AS present")
        if exists is None or not exists["present"]:
            return 0
    row = await database.fetchone("SELECT MAX(version) AS version FROM schema_version")
    return int(row["version"] or 0) if row is not None else 0


async def migrate(database: Database) -> int:
    """Apply every pending migration in one transaction; return the version reached.

    The transaction takes the claims lock, so processes starting together (a bot and its workers)
    migrate once: the others wait, then find nothing left to do.
    """
    async with database.transaction(locks=[CLAIMS]) as session:
        version = await schema_version(session, database.dialect)
        await session.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        if version and await session.fetchone("SELECT 1 FROM schema_version") is None:
            await session.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, 'adopted')", (version,))
        for step in migrations(database.dialect)[version:]:
            for statement in _split(step.sql):
                await session.execute(statement)
            await session.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, CURRENT_TIMESTAMP)", (step.version,)
            )
            version = step.version
    return version


def _split(script: str) -> list[str]:
    """The statements of a migration file (each ends with `;` at the end of a line)."""
    statements = []
    for chunk in re.split(r";[ \t]*$", script, flags=re.M):
        code = "\n".join(line for line in chunk.splitlines() if not line.strip().startswith("--")).strip()
        if code:
            statements.append(code)
    return statements
