"""``python -m bot`` as a real process: start-up, settings, restarts and shutdown."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from tests.bed import Bed
from tests.fakes.gateway import API_KEY, Fault
from tests.paths import PROJECT

from .helpers import attachment_bytes, expected_images, last_body, result_of


async def run_with_env(env: dict[str, str], cwd: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=cwd, stdin=asyncio.subprocess.DEVNULL,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(PROJECT), **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode or 0, output.decode()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"DISCORD_TOKEN": ""}, "DISCORD_TOKEN is not set"),
        ({"GATEWAY_API_KEY": ""}, "GATEWAY_API_KEY is not set"),
        ({"GATEWAY_BASE_URL": "ftp://nope"}, "GATEWAY_BASE_URL must be an http(s) URL"),
        ({"DEV_GUILD_ID": "abc"}, "DEV_GUILD_ID must be a server ID"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL is not supported"),
    ],
)
async def test_bad_settings_stop_start_up_with_one_clear_sentence(bed: Bed, change: dict[str, str], named: str) -> None:
    bed.data_dir.mkdir(parents=True, exist_ok=True)
    code, output = await run_with_env({**bed.env(), **change}, str(bed.data_dir))
    assert code == 2
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Configuration error: ") and named in lines[0]
    assert API_KEY not in output and bed.discord.token not in output


async def test_rejected_token_is_reported(bed: Bed) -> None:
    bed.data_dir.mkdir(parents=True, exist_ok=True)
    code, output = await run_with_env({**bed.env(), "DISCORD_TOKEN": "wrong-token"}, str(bed.data_dir))
    assert code == 2 and "DISCORD_TOKEN was rejected" in output and "wrong-token" not in output


async def test_process_serves_commands_and_stops_cleanly_on_sigterm(bed: Bed) -> None:
    async with bed.bot_process() as bot:
        assert bed.discord.command_puts == 1
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="a kite", size="512*512")
        message = await result_of(bed.discord, interaction)
        assert attachment_bytes(message) == expected_images(last_body(bed.gateway))
        assert await bot.terminate() == 0
        output = bot.output
    assert "stopped" in output
    assert bed.discord.token not in output and API_KEY not in output


async def test_sigterm_lets_a_running_job_finish(bed: Bed) -> None:
    bed.gateway.latency = 1.5
    async with bed.bot_process() as bot:
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="slow", size="512*512")
        await bed.discord.wait_for(lambda: bed.gateway.in_flight == 1)
        assert await bot.terminate() == 0
    message = await result_of(bed.discord, interaction, timeout=1)
    assert len(message.attachments) == 1


async def test_buttons_work_after_the_process_is_killed_and_restarted(bed: Bed) -> None:
    async with bed.bot_process() as first:
        interaction = await bed.discord.slash("alice", "imagine", "wan", prompt="a castle", size="1K", count=2)
        original = await result_of(bed.discord, interaction)
        await first.kill()
    async with bed.bot_process():
        assert bed.discord.command_puts == 1  # nothing changed: no re-sync
        same = await bed.discord.click("bob", original, original.custom_ids[0])
        new = await bed.discord.click("bob", original, original.custom_ids[1])
        same_message, new_message = await result_of(bed.discord, same), await result_of(bed.discord, new)
    assert attachment_bytes(same_message) == attachment_bytes(original)
    assert attachment_bytes(new_message) != attachment_bytes(original)
    assert len(attachment_bytes(new_message)) == 2


async def test_gateway_timeout_is_reported(bed: Bed) -> None:
    bed.extra_env["GATEWAY_TIMEOUT"] = "1"
    bed.gateway.fail_next(Fault.HANG)
    async with bed.bot_process():
        interaction = await bed.discord.slash("alice", "imagine", "qwen", prompt="hang", size="512*512")
        message = await result_of(bed.discord, interaction)
    assert "did not finish in time" in message.text and message.custom_ids
