"""The end-to-end test bed: local Discord + local gateway, and the bot in-process or as a process.

Used by the e2e tests and by ``bench/``. The bot is pointed at the fakes only through settings
it already supports (``DISCORD_API_BASE_URL``, ``GATEWAY_BASE_URL``).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.client import ImagineBot
from bot.runtime import open_bot
from bot.settings import Settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.gateway import API_KEY, FakeGateway
from tests.fakes.server import serve
from tests.paths import PROJECT


@dataclass
class BotProcess:
    """``python -m bot`` running against the bed."""

    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def terminate(self, timeout: float = 40.0) -> int:
        """SIGTERM, as a container runtime sends, and wait for a clean exit."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def kill(self) -> None:
        """SIGKILL: the process dies without any chance to clean up."""
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()


@dataclass
class Bed:
    discord: FakeDiscord
    gateway: FakeGateway
    data_dir: Path
    database_url: str | None = None  # None: the default SQLite file in the data directory
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """The environment a bot process gets: only what a real deployment would set."""
        return {
            "DISCORD_TOKEN": self.discord.token,
            "GATEWAY_API_KEY": API_KEY,
            "GATEWAY_BASE_URL": self.gateway.base_url,
            "DISCORD_API_BASE_URL": f"{self.discord.base_url}/api/v10",
            "DISCORD_GATEWAY_URL": self.discord.base_url.replace("http://", "ws://") + "/gateway",
            "DATA_DIR": str(self.data_dir),
            "ATTACHMENT_HOSTS": self.discord.attachment_base_url,  # members' images for edits come from there
            "DEV_GUILD_ID": str(self.discord.guild_id),
            "LOG_LEVEL": "INFO",
            "STATUS_INTERVAL": "0.3",  # brisk status edits, so tests need not wait for the throttle
            "JOB_LEASE_SECONDS": "3",  # a killed process's jobs are taken over within seconds
            **({"DATABASE_URL": self.database_url} if self.database_url else {}),
            **self.extra_env,
        }

    def settings(self) -> Settings:
        return Settings.from_env(self.env())

    @asynccontextmanager
    async def bot(self) -> AsyncIterator[ImagineBot]:
        """Run the bot in this process (same code path as ``python -m bot``) until the block ends."""
        async with open_bot(self.settings()) as bot:
            runner = asyncio.create_task(bot.start(self.discord.token))
            try:
                await self._wait_connected(runner)
                yield bot
            finally:
                await bot.shutdown(grace=0)  # like a fast restart: unfinished jobs stay queued
                await asyncio.wait_for(runner, 10)

    @asynccontextmanager
    async def bot_process(
        self, *, wait: bool = True, argv: Sequence[str] = ("-m", "bot"), env: Mapping[str, str] | None = None
    ) -> AsyncIterator[BotProcess]:
        """Run ``python -m bot`` (or ``argv``) as a child process; killed at the end if still running."""
        log_path = self.data_dir / f"bot-{len(list(self.data_dir.glob('bot-*.log')))}.log"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as log:
            child_env = {"PATH": os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(PROJECT),
                         **self.env(), **(env or {})}  # fmt: skip
            # cwd is the data dir, so a developer's own .env in the project is never picked up.
            process = await asyncio.create_subprocess_exec(
                sys.executable, *argv, cwd=self.data_dir, env=child_env, stdout=log, stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
        child = BotProcess(process, log_path)
        try:
            if wait:
                waiter = asyncio.create_task(process.wait())
                await self._wait_connected(waiter, describe=lambda: child.output)
            yield child
        finally:
            await child.kill()

    @asynccontextmanager
    async def worker_process(self, env: Mapping[str, str] | None = None) -> AsyncIterator[BotProcess]:
        """Run ``python -m bot worker`` (no gateway connection) until it says it is ready."""
        async with self.bot_process(wait=False, argv=("-m", "bot", "worker"), env=env) as worker:
            async with asyncio.timeout(30):
                while not re.search(r"worker \S+ ready", worker.output):  # another process: only its log to watch
                    if worker.process.returncode is not None:
                        raise RuntimeError(f"worker exited with {worker.process.returncode}:\n{worker.output}")
                    await asyncio.sleep(0.05)
            yield worker

    async def _wait_connected(self, runner: asyncio.Future[object], describe: object = None) -> None:
        self.discord.identified.clear()
        identified = asyncio.create_task(self.discord.identified.wait())
        done, _ = await asyncio.wait({runner, identified}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if identified not in done:
            identified.cancel()
            detail = describe() if callable(describe) else ""
            if runner in done and runner.exception() is not None:
                raise RuntimeError(f"bot failed to start: {runner.exception()!r}\n{detail}")
            raise RuntimeError(f"bot did not connect to the local Discord\n{detail}")


@asynccontextmanager
async def open_bed(
    data_dir: Path, *, upload_limit: int | None = None, database_url: str | None = None
) -> AsyncIterator[Bed]:
    """Start the local Discord and gateway on loopback ports."""
    discord = FakeDiscord() if upload_limit is None else FakeDiscord(upload_limit=upload_limit)
    gateway = FakeGateway()
    async with AsyncExitStack() as stack:
        discord.base_url = await stack.enter_async_context(serve(discord.app()))
        gateway.base_url = await stack.enter_async_context(serve(gateway.app()))
        yield Bed(discord, gateway, data_dir, database_url)
