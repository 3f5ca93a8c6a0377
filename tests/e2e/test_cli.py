"""The command line as a real process: ``check``, ``invite``, ``migrate``, ``--help`` and ``--version``.

``check`` must tell each broken part of a deployment apart without generating an image: the
local gateway records every generation it would make in ``requests`` and every body it refuses
as invalid in ``rejected``; the probe may only ever land in the second.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Mapping
from importlib.metadata import version
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web

from bot.access import REQUIRED_PERMISSIONS
from bot.cli import COMMANDS
from bot.storage import SCHEMA_VERSION, Dialect, open_storage
from tests.bed import Bed, open_bed
from tests.fakes.gateway import API_KEY
from tests.fakes.server import serve

CHECKS = ("settings", "data directory", "disk space", "database", "Discord login", "Discord permissions")


async def run_cli(bed: Bed, *args: str, env: Mapping[str, str] | None = None) -> tuple[int, str]:
    """``python -m bot ARGS`` against the bed, to its end: exit status and everything it printed."""
    async with bed.bot_process(wait=False, argv=("-m", "bot", *args), env=env) as child:
        code = await asyncio.wait_for(child.process.wait(), 60)
        return code, child.output


def closed_port() -> int:
    with socket.socket() as sock:  # free a moment ago, so nothing listens there now
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def assert_nothing_generated_and_no_secret(bed: Bed, output: str) -> None:
    assert bed.gateway.requests == []
    assert bed.discord.identify_count == 0 and "GET /gateway" not in bed.discord.requests_seen  # no websocket
    assert API_KEY not in output and bed.discord.token not in output and "Traceback" not in output


@pytest.fixture
async def local_bed(tmp_path: Path) -> AsyncIterator[Bed]:
    """The local Discord and gateway with the default SQLite database (failures need only one backend)."""
    async with open_bed(tmp_path / "data") as bed:
        yield bed


async def test_check_passes_against_the_local_fakes_without_generating_or_migrating(bed: Bed) -> None:
    code, output = await run_cli(bed, "check")
    lines = output.splitlines()
    assert code == 0, output
    assert [line.split(":")[0] for line in lines] == [f"✓ {name}" for name in (*CHECKS, "image gateway")]
    assert "refused a deliberately invalid request with HTTP 400" in lines[-1]
    assert_nothing_generated_and_no_secret(bed, output)
    assert len(bed.gateway.rejected) == 1  # the probe, refused as invalid before any generation
    settings = bed.settings()
    if settings.database.dialect is Dialect.SQLITE:
        assert not await asyncio.to_thread(Path(settings.database.target).exists)  # not created, nor migrated
        assert "does not exist yet" in lines[3]
    else:
        async with open_storage(settings.database_url, migrate=False) as storage:
            assert await storage.schema_version() == 0
        assert f"schema version 0 of {SCHEMA_VERSION}: {SCHEMA_VERSION} migrations pending" in lines[3]


def _wrong_token(bed: Bed, tmp: Path) -> dict[str, str]:
    return {"DISCORD_TOKEN": "wrong-discord-token"}


def _wrong_key(bed: Bed, tmp: Path) -> dict[str, str]:
    return {"GATEWAY_API_KEY": "wrong-gateway-key"}


def _closed_gateway(bed: Bed, tmp: Path) -> dict[str, str]:
    return {"GATEWAY_BASE_URL": f"http://127.0.0.1:{closed_port()}"}


def _database_is_a_directory(bed: Bed, tmp: Path) -> dict[str, str]:
    (tmp / "db").mkdir()
    return {"DATABASE_URL": f"sqlite:///{tmp / 'db'}"}


def _data_dir_is_a_file(bed: Bed, tmp: Path) -> dict[str, str]:
    (tmp / "file").write_text("")
    return {"DATA_DIR": str(tmp / "file")}


def _data_dir_read_only(bed: Bed, tmp: Path) -> dict[str, str]:
    if not Path("/sys/kernel").is_dir():
        pytest.skip("needs Linux sysfs: a directory even root cannot write to")
    return {"DATA_DIR": "/sys/kernel"}  # tests run as root, who ignores file modes; sysfs refuses anyway


def _permission_missing(bed: Bed, tmp: Path) -> dict[str, str]:
    bed.discord.bot_permissions = 0  # @everyone still grants the other four
    return {}


def _not_in_server(bed: Bed, tmp: Path) -> dict[str, str]:
    return {"DEV_GUILD_ID": "123456789012345678"}


def _setting_missing(bed: Bed, tmp: Path) -> dict[str, str]:
    return {"GATEWAY_API_KEY": ""}


# Each way to break the deployment → the start of the ✗ line that must name it.
BREAKAGES: dict[Callable[[Bed, Path], dict[str, str]], str] = {
    _wrong_token: "✗ Discord login: Discord refused DISCORD_TOKEN — reset the token",
    _wrong_key: "✗ image gateway: 127.0.0.1:{gateway_port} refused GATEWAY_API_KEY with HTTP 401",
    _closed_gateway: "✗ image gateway: 127.0.0.1:{port} is not reachable (connection refused) — check",
    _database_is_a_directory: "✗ database: cannot open the SQLite database {tmp}/db: unable to open",
    _data_dir_is_a_file: "✗ data directory: DATA_DIR {tmp}/file is not a directory: point DATA_DIR",
    _data_dir_read_only: "✗ data directory: DATA_DIR /sys/kernel is not writable (Permission denied)",
    _permission_missing: "✗ Discord permissions: in server {guild} the bot lacks Read Message History — ",
    _not_in_server: "✗ Discord permissions: the bot is not in server 123456789012345678 (DEV_GUILD_ID) — ",
    _setting_missing: "✗ settings: GATEWAY_API_KEY is not set: put your image gateway API key in .env.",
}


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda breakage: breakage.__name__.strip("_"))
async def test_check_names_what_is_broken(
    local_bed: Bed, tmp_path: Path, breakage: Callable[[Bed, Path], dict[str, str]]
) -> None:
    expected = BREAKAGES[breakage]
    env = breakage(local_bed, tmp_path)
    code, output = await run_cli(local_bed, "check", env=env)
    port = urlsplit(env.get("GATEWAY_BASE_URL", "")).port
    gateway_port = urlsplit(local_bed.gateway.base_url).port
    wanted = expected.format(tmp=tmp_path, port=port, gateway_port=gateway_port, guild=local_bed.discord.guild_id)
    assert code == 1
    assert any(line.startswith(wanted) for line in output.splitlines()), output
    assert all(line[:2] in ("✓ ", "✗ ") for line in output.splitlines()), output  # one line per check, no noise
    assert_nothing_generated_and_no_secret(local_bed, output)
    assert "wrong-discord-token" not in output and "wrong-gateway-key" not in output


async def test_check_never_prints_a_key_the_gateway_quotes_back(local_bed: Bed) -> None:
    async def quoting(request: web.Request) -> web.Response:  # some gateways echo the credential they refuse
        message = f"Invalid token {request.headers['Authorization']} (request id: x)"
        return web.json_response({"error": {"message": message, "code": "invalid_api_key"}}, status=401)

    app = web.Application()
    app.router.add_post("/v1/images/generations", quoting)
    async with serve(app) as base_url:
        code, output = await run_cli(local_bed, "check", env={"GATEWAY_BASE_URL": base_url})
    assert code == 1 and "refused GATEWAY_API_KEY with HTTP 401 (Invalid token Bearer *** (request id: x))" in output
    assert API_KEY not in output


async def test_invite_prints_the_url_with_the_application_permissions_and_both_scopes(local_bed: Bed) -> None:
    code, output = await run_cli(local_bed, "invite")
    assert code == 0
    (line,) = output.splitlines()
    url = urlsplit(line)
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://discord.com/oauth2/authorize"
    assert query["client_id"] == [str(local_bed.discord.application_id)]
    assert query["permissions"] == [str(REQUIRED_PERMISSIONS.value)] == ["117760"]
    assert set(query["scope"][0].split()) == {"bot", "applications.commands"}
    assert_nothing_generated_and_no_secret(local_bed, output)


async def test_invite_with_an_application_id_asks_nobody_and_needs_no_settings(local_bed: Bed) -> None:
    env = {"DISCORD_TOKEN": "", "GATEWAY_API_KEY": ""}
    code, output = await run_cli(local_bed, "invite", "--application-id", "123456789012345678", env=env)
    assert code == 0 and parse_qs(urlsplit(output.strip()).query)["client_id"] == ["123456789012345678"]
    assert local_bed.discord.requests_seen == []


async def test_invite_with_a_refused_token_says_so_in_one_line(local_bed: Bed) -> None:
    code, output = await run_cli(local_bed, "invite", env={"DISCORD_TOKEN": "wrong-discord-token"})
    assert (code, output.strip()) == (2, "Configuration error: DISCORD_TOKEN was rejected by Discord.")


async def test_help_lists_every_command_and_connects_to_nothing(local_bed: Bed) -> None:
    code, output = await run_cli(local_bed, "--help")
    assert code == 0
    for command in COMMANDS:
        assert f"    {command.name} " in output
    assert local_bed.discord.requests_seen == [] and local_bed.gateway.rejected == []
    assert not list(local_bed.data_dir.glob("*.sqlite3*"))  # no database opened either


async def test_version_is_the_packages(local_bed: Bed) -> None:
    code, output = await run_cli(local_bed, "--version")
    assert (code, output.strip()) == (0, f"imagine-bot {version('imagine-bot')}")
    assert local_bed.discord.requests_seen == []


async def test_migrate_brings_the_schema_up_to_date_once(local_bed: Bed) -> None:
    target = local_bed.settings().database.safe
    first, second = await run_cli(local_bed, "migrate"), await run_cli(local_bed, "migrate")
    assert first == (
        0,
        f"database {target}: schema version 0 → {SCHEMA_VERSION} ({SCHEMA_VERSION} migrations applied)\n",
    )
    assert second == (0, f"database {target}: schema version {SCHEMA_VERSION}, up to date\n")
    code, output = await run_cli(local_bed, "check")
    assert code == 0 and f"✓ database: {target} opens; schema version {SCHEMA_VERSION}, up to date" in output
