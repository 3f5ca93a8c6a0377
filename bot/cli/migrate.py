"""``python -m bot migrate``: bring the database's schema up to date, say where it stands, and exit."""

from __future__ import annotations

import argparse
import asyncio

from bot.settings import Settings
from bot.storage import SCHEMA_VERSION, DatabaseUnavailable, open_storage

from ._common import Abort, Command, ExitCode, configure_quiet_logging, read_settings


async def migrate(settings: Settings) -> str:
    """Apply the pending migrations; return one line saying what was done."""
    url = settings.database
    async with open_storage(settings.database_url, migrate=False) as storage:
        before = await storage.schema_version()
        if before > SCHEMA_VERSION:
            raise Abort(
                f"Database error: {url.safe} is at schema version {before}, newer than this bot's {SCHEMA_VERSION}:"
                " run the newer release of the bot.",
                ExitCode.FAILED,
            )
        after = await storage.migrate()
    if after == before:
        return f"database {url.safe}: schema version {after}, up to date"
    return f"database {url.safe}: schema version {before} → {after} ({after - before} migrations applied)"


def main(args: argparse.Namespace) -> ExitCode:
    """Read the settings, migrate, print the version."""
    settings = read_settings()
    configure_quiet_logging(settings)
    try:
        print(asyncio.run(migrate(settings)), flush=True)
    except DatabaseUnavailable as error:
        raise Abort(f"Database error: {error}.", ExitCode.FAILED) from None
    return ExitCode.OK


COMMAND = Command("migrate", "Apply pending database migrations, print the schema version, and exit.", main)
