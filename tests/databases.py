"""Databases for tests: a SQLite file, or a fresh schema in the local PostgreSQL, dropped after.

PostgreSQL is found at ``TEST_POSTGRES_URL`` (default: the machine's trust-auth server, database
``test``). Where none answers, PostgreSQL tests skip with the reason, unless ``REQUIRE_POSTGRES``
is set (CI sets it: a CI run must never skip them silently).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")


def postgres_server() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES)


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """A ``DATABASE_URL`` whose connections use a new, empty schema; the schema is dropped after."""
    import psycopg

    server = postgres_server()
    try:
        admin = await psycopg.AsyncConnection.connect(server, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        reason = f"no PostgreSQL answers at {server} ({str(error).strip().splitlines()[0]})"
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(f"{reason}, and REQUIRE_POSTGRES is set")
        pytest.skip(reason)
    schema = f"test_{secrets.token_hex(6)}"
    async with admin:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            separator = "&" if "?" in server else "?"
            yield f"{server}{separator}options={quote(f'-csearch_path={schema}')}"
        finally:
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@asynccontextmanager
async def database_url(backend: str, directory: Path) -> AsyncIterator[str]:
    """A ``DATABASE_URL`` for ``backend`` that nothing else uses."""
    if backend == "postgres":
        async with postgres_schema() as url:
            yield url
    else:
        yield f"sqlite:///{directory / 'test.sqlite3'}"
