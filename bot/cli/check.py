"""``python -m bot check``: check a deployment without generating an image, one line per check.

Each line starts with ✓ or ✗; a ✗ says what to do. The exit status is 0 only when every check
passes. Nothing is generated and nothing is migrated; only ``DATA_DIR`` is created if it is
missing, as the bot itself would at start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiohttp
import discord

from bot.access import guild_permissions, missing_permissions, permission_names
from bot.gateway import GatewayClient
from bot.gateway.client import GENERATIONS_PATH
from bot.gateway.probe import ProbeOutcome, ProbeResult
from bot.login import DiscordUnreachable, logged_in, within
from bot.logs import RedactingFilter
from bot.settings import DiscordAccess, Settings, SettingsError, ensure_data_dir
from bot.storage import SCHEMA_VERSION, DatabaseUnavailable, DatabaseUrl, Dialect, open_storage

from ._common import Command, ExitCode, configure_quiet_logging, load_env

MIN_FREE_BYTES = 1 << 30  # 1 GiB: the database, and results kept while they wait for delivery (4K PNGs are large)
DATABASE_TIMEOUT = 15.0  # seconds to open the database and read its version
SETTINGS, DATA_DIR, DISK, DATABASE = "settings", "data directory", "disk space", "database"
LOGIN, PERMISSIONS, GATEWAY = "Discord login", "Discord permissions", "image gateway"
_DATABASE_FIX = "check DATABASE_URL, and that the database is up and reachable"


@dataclass(frozen=True, slots=True)
class Finding:
    """The result of one check: passed or not, what was found, and for a failure what to do."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        """``✓ name: detail`` or ``✗ name: detail — fix``."""
        text = f"{'✓' if self.ok else '✗'} {self.name}: {self.detail}"
        return f"{text} — {self.fix}" if self.fix and not self.ok else text


def check_data_dir(settings: Settings) -> Finding:
    """``DATA_DIR`` is (or can be made) a writable directory: the same test as at start-up."""
    try:
        ensure_data_dir(settings.data_dir)
    except SettingsError as error:
        return Finding(DATA_DIR, False, str(error))
    return Finding(DATA_DIR, True, f"{settings.data_dir.resolve()} is a writable directory")


def check_disk_space(settings: Settings) -> Finding:
    """Enough free space where ``DATA_DIR`` lives."""
    place = _nearest_existing(settings.data_dir.resolve())
    free = shutil.disk_usage(place).free
    detail = f"{_gib(free)} free at {place} (at least {_gib(MIN_FREE_BYTES)} wanted)"
    return Finding(DISK, free >= MIN_FREE_BYTES, detail, "free some space, or move DATA_DIR to a larger disk")


async def check_database(settings: Settings) -> Finding:
    """The database opens, and its schema version is one this bot can use (nothing is migrated)."""
    url = settings.database
    if url.dialect is Dialect.SQLITE and (not_yet := _sqlite_file_to_come(url)) is not None:
        return not_yet  # opening it would create it
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT), open_storage(settings.database_url, migrate=False) as storage:
            version = await storage.schema_version()
    except DatabaseUnavailable as error:
        return Finding(DATABASE, False, str(error), _DATABASE_FIX)
    except TimeoutError:
        return Finding(DATABASE, False, f"{url.safe} did not answer within {DATABASE_TIMEOUT:.0f}s", _DATABASE_FIX)
    if version > SCHEMA_VERSION:
        detail = f"{url.safe} is at schema version {version}, newer than this bot's {SCHEMA_VERSION}"
        return Finding(DATABASE, False, detail, "run the newer release of the bot")
    state = ", up to date"
    if version < SCHEMA_VERSION:
        pending = SCHEMA_VERSION - version
        state = f" of {SCHEMA_VERSION}: {pending} migrations pending, applied at start-up or by `python -m bot migrate`"
    return Finding(DATABASE, True, f"{url.safe} opens; schema version {version}{state}")


def _sqlite_file_to_come(url: DatabaseUrl) -> Finding | None:
    """For a SQLite file that does not exist yet: can it be created? ``None`` if it exists."""
    path = Path(url.target)
    if path.exists():
        return None
    place = _nearest_existing(path.resolve().parent)
    creatable = place.is_dir() and os.access(place, os.W_OK)
    detail = "does not exist yet: it is created at the first start" if creatable else "cannot be created"
    return Finding(DATABASE, creatable, f"{url.safe} {detail}", "point DATABASE_URL at a writable place")


async def check_discord(settings: Settings) -> list[Finding]:
    """Discord accepts the token; in ``DEV_GUILD_ID`` (if set) the bot has the permissions it needs."""
    access = settings.discord_access
    try:
        async with logged_in(access) as login:
            application = await within(login.http.application_info(), access)
            who = f"the token is accepted: bot {login.user.name}, application {application['id']}"
            findings = [Finding(LOGIN, True, who)]
            if settings.dev_guild_id is not None:
                findings.append(await _permissions(login.http, access, settings.dev_guild_id, login.user.id))
            return findings
    except discord.LoginFailure:
        fix = "reset the token (Developer Portal → Bot → Reset Token) and put it in .env"
        return [Finding(LOGIN, False, "Discord refused DISCORD_TOKEN", fix)]
    except DiscordUnreachable as error:
        return [Finding(LOGIN, False, str(error), "check the network (and DISCORD_API_BASE_URL if set)")]
    except discord.HTTPException as error:
        return [Finding(LOGIN, False, f"Discord answered HTTP {error.status}: {error.text}")]


async def _permissions(http: discord.http.HTTPClient, access: DiscordAccess, guild_id: int, user_id: int) -> Finding:
    try:
        guild = await within(http.get_guild(guild_id, with_counts=False), access)
        member = await within(http.get_member(guild_id, user_id), access)
    except (discord.Forbidden, discord.NotFound):
        fix = "invite it with the URL from `python -m bot invite`, or correct DEV_GUILD_ID"
        return Finding(PERMISSIONS, False, f"the bot is not in server {guild_id} (DEV_GUILD_ID)", fix)
    granted = guild_permissions(guild, member.get("roles", []), user_id)
    if missing := missing_permissions(granted):
        fix = "grant the missing permissions to the bot's role, or invite it again with `python -m bot invite`"
        return Finding(PERMISSIONS, False, f"in server {guild_id} the bot lacks {', '.join(missing)}", fix)
    return Finding(PERMISSIONS, True, f"in server {guild_id} the bot has {', '.join(permission_names(granted))}")


async def check_gateway(settings: Settings) -> Finding:
    """The image gateway answers and accepts the key; nothing is generated (see :mod:`bot.gateway.probe`)."""
    async with aiohttp.ClientSession() as session:
        gateway = GatewayClient(session, base_url=settings.gateway_base_url, api_key=settings.gateway_api_key.get())
        result = await gateway.probe()
    return gateway_finding(settings.gateway_base_url, result)


# A failed probe: what it means and what to do. Placeholders: host, answer (status), said (the gateway's words), took.
_GATEWAY_FAILURES: Mapping[ProbeOutcome, tuple[str, str]] = {
    ProbeOutcome.QUOTA_EXHAUSTED: ("{host} accepts the key, but its credits are spent{said}", "top up the account"),
    ProbeOutcome.KEY_REFUSED: (
        "{host} refused GATEWAY_API_KEY with {answer}{said}",
        "check the key, and that it was issued for this host (test or production)",
    ),
    ProbeOutcome.NOT_FOUND: (
        f"{{host}} has no {GENERATIONS_PATH} ({{answer}})",
        "check GATEWAY_BASE_URL: the host only, without /v1",
    ),
    ProbeOutcome.SERVER_ERROR: (
        "{host} failed with {answer}{said} after {took}",
        "the gateway is failing: try again later, or ask its operator",
    ),
    ProbeOutcome.UNREACHABLE: ("{host} is not reachable{said}", "check GATEWAY_BASE_URL and the network"),
    ProbeOutcome.TIMEOUT: ("{host} is not reachable{said}", "check GATEWAY_BASE_URL and the network"),
    ProbeOutcome.UNEXPECTED: (
        "{host} answered {answer} to an invalid request{said}",
        "check that GATEWAY_BASE_URL is the image gateway",
    ),
}


def gateway_finding(base_url: str, result: ProbeResult) -> Finding:
    """Word the probe's result as a check line."""
    host = urlsplit(base_url).netloc.rpartition("@")[2]  # never credentials written into the URL
    took = _duration(result.latency)
    answer = f"HTTP {result.status}" if result.status is not None else "no complete answer"
    if result.key_accepted:
        busy = ", rate-limited right now" if result.outcome is ProbeOutcome.RATE_LIMITED else ""
        detail = f"{host} accepts the key (refused a deliberately invalid request with {answer} in {took}{busy})"
        return Finding(GATEWAY, True, f"{detail}; nothing was generated")
    said = f" ({result.detail})" if result.detail else ""
    detail, fix = _GATEWAY_FAILURES[result.outcome]
    return Finding(GATEWAY, False, detail.format(host=host, answer=answer, said=said, took=took), fix)


async def run_checks(settings: Settings) -> list[Finding]:
    """Every check after the settings, in a fixed order; the slow ones (network, database) run together."""
    findings = [check_data_dir(settings)]
    if findings[0].ok:  # else the free space of some parent directory would only mislead
        findings.append(check_disk_space(settings))
    for found in await asyncio.gather(
        _guarded(DATABASE, check_database(settings)),
        _guarded(LOGIN, check_discord(settings)),
        _guarded(GATEWAY, check_gateway(settings)),
    ):
        findings.extend(found if isinstance(found, list) else [found])
    return findings


async def _guarded(name: str, check: Awaitable[Finding | list[Finding]]) -> Finding | list[Finding]:
    # A diagnostic tool reports what it could not foresee as a failed line, not as a traceback.
    try:
        return await check
    except Exception as error:
        return Finding(name, False, f"unexpected {type(error).__name__}: {error}", "run with LOG_LEVEL=DEBUG")


def main(args: argparse.Namespace) -> ExitCode:
    """Run the checks and print one line each."""
    load_env()
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        _print([Finding(SETTINGS, False, str(error))], ())
        return ExitCode.FAILED
    configure_quiet_logging(settings)
    findings = [Finding(SETTINGS, True, "every setting is present and well-formed")]
    findings += asyncio.run(run_checks(settings))
    _print(findings, _secrets(settings))
    return ExitCode.OK if all(finding.ok for finding in findings) else ExitCode.FAILED


def _print(findings: Sequence[Finding], secrets: Sequence[str]) -> None:
    # Details come from servers and libraries: redact them as the logs are, in case one echoes a secret.
    redactor = RedactingFilter(secrets)
    for finding in findings:
        print(redactor.redact(finding.line()), flush=True)


def _secrets(settings: Settings) -> list[str]:
    password = urlsplit(settings.database_url).password or ""
    return [settings.discord_token.get(), settings.gateway_api_key.get(), password, unquote(password)]


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _gib(size: float) -> str:
    return f"{size / (1 << 30):.1f} GiB"


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


COMMAND = Command("check", "Check the deployment without generating an image: one ✓ or ✗ line per check.", main)
