"""Start-up as a real process: one sentence for what the operator must fix, patience with a late network."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path

import pytest
from aiohttp import web

from tests.bed import Bed, BotProcess, open_bed
from tests.fakes.discord import FakeDiscord
from tests.fakes.gateway import API_KEY


@pytest.fixture
async def local_bed(tmp_path: Path) -> AsyncIterator[Bed]:
    async with open_bed(tmp_path / "data") as bed:
        yield bed


async def exit_of(bed: Bed, env: dict[str, str]) -> tuple[int, str]:
    async with bed.bot_process(wait=False, env=env) as child:
        return await asyncio.wait_for(child.process.wait(), 30), child.output


async def logged(child: BotProcess, text: str) -> None:
    """Wait until the process has logged ``text`` (it is another process: its log is all there is to watch)."""
    async with asyncio.timeout(30):
        while text not in child.output:
            if child.process.returncode is not None:
                raise AssertionError(f"exited with {child.process.returncode} before logging {text!r}:\n{child.output}")
            await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def discord_on(port: int) -> AsyncIterator[FakeDiscord]:
    """The local Discord, on a port chosen before it starts."""
    fake = FakeDiscord()
    runner = web.AppRunner(fake.app(), handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    fake.base_url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()


def _a_file(tmp: Path) -> Path:
    (tmp / "file").write_text("")
    return tmp / "file"


def _under_a_file(tmp: Path) -> Path:
    return _a_file(tmp) / "data"


def _read_only(tmp: Path) -> Path:
    if not Path("/sys/kernel").is_dir():
        pytest.skip("needs Linux sysfs: a directory even root cannot write to")
    return Path("/sys/kernel")  # tests run as root, who ignores file modes; sysfs refuses anyway


@pytest.mark.parametrize(
    ("data_dir", "problem"),
    [
        (_a_file, "is not a directory: point DATA_DIR at a directory the bot can write to."),
        (_under_a_file, "cannot be created (Not a directory): create it, or point DATA_DIR at a writable directory."),
        (
            _read_only,
            "is not writable (Permission denied): let the bot's user write there, or point DATA_DIR elsewhere.",
        ),
    ],
)
async def test_an_unusable_data_dir_stops_start_up_with_one_sentence(
    local_bed: Bed, tmp_path: Path, data_dir: Callable[[Path], Path], problem: str
) -> None:
    path = data_dir(tmp_path)
    code, output = await exit_of(local_bed, {"DATA_DIR": str(path)})
    assert code == 2
    assert output.splitlines() == [f"Configuration error: DATA_DIR {path} {problem}"]
    assert local_bed.discord.requests_seen == []  # checked before any login


async def test_an_in_memory_database_is_refused(local_bed: Bed) -> None:
    code, output = await exit_of(local_bed, {"DATABASE_URL": "sqlite:///:memory:"})
    assert code == 2
    assert output.splitlines() == [
        "Configuration error: DATABASE_URL must not be sqlite:///:memory: (every job would be lost): name a file."
    ]


async def test_a_bot_whose_discord_comes_up_late_waits_for_it_then_connects(local_bed: Bed) -> None:
    port = free_port()  # nothing listens there until the local Discord starts below
    env = {
        "DISCORD_API_BASE_URL": f"http://127.0.0.1:{port}/api/v10",
        "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/gateway",
    }
    async with local_bed.bot_process(wait=False, env=env) as child:
        await logged(child, f"Discord is not reachable at 127.0.0.1:{port}: connection refused; retrying in 1s")
        async with discord_on(port) as late:
            await asyncio.wait_for(late.identified.wait(), 30)
            assert await child.terminate() == 0
    output = child.output
    start = (
        f"INFO    bot: imagine-bot {version('imagine-bot')} starting (bot): database sqlite, image gateway 127.0.0.1,"
    )
    assert start + f" data directory {local_bed.data_dir}" in output
    assert "Traceback" not in output and "voice will NOT be supported" not in output
    assert local_bed.discord.token not in output and API_KEY not in output


async def test_sigterm_while_waiting_for_discord_stops_at_once(local_bed: Bed) -> None:
    port = free_port()
    async with local_bed.bot_process(
        wait=False, env={"DISCORD_API_BASE_URL": f"http://127.0.0.1:{port}/api/v10"}
    ) as child:
        await logged(child, "; retrying in 1s")
        assert await child.terminate(timeout=10) == 0
    assert child.output.rstrip().endswith("INFO    bot: stopped") and "Traceback" not in child.output


async def test_an_api_url_that_is_not_discords_stops_start_up_with_one_sentence(local_bed: Bed) -> None:
    code, output = await exit_of(local_bed, {"DISCORD_API_BASE_URL": f"{local_bed.discord.base_url}/not-the-api"})
    assert code == 2
    (line,) = [line for line in output.splitlines() if "INFO" not in line]  # after the start-up line
    assert line.startswith("Configuration error: Discord answered the login with HTTP 404 (")
    assert line.endswith("): check DISCORD_API_BASE_URL.")
