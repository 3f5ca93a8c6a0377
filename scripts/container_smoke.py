"""Prove the container image starts and serves: the local bed on the host, the bot in a container.

    .venv/bin/python scripts/container_smoke.py IMAGE --build            # podman build --format docker, run
    .venv/bin/python scripts/container_smoke.py IMAGE --runtime buildah  # where `podman run` can't set rlimits

It starts the local Discord and gateway, runs the image's own command pointed at them (host
network) with compose's hardening (read-only root, /tmp in memory, no capabilities, no new
privileges, a memory limit, an init), drives one /imagine, and checks the container user, the
image's HEALTHCHECK, /healthz and /metrics, that every log line is JSON, and a clean exit on
SIGTERM. If the container dies, it stops at once and prints the container's log. Containers and
temporary directories are removed at the end, whatever happened.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import socket
import sys
import tempfile
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.bed import open_bed

PROJECT = Path(__file__).resolve().parent.parent
NAME = "imagine-smoke"
# compose.yaml's hardening, as podman run flags (the data volume is added separately).
PODMAN_HARDENING = shlex.split(
    "--read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --memory 2g --init"
)
T = TypeVar("T")


class SmokeFailure(Exception):
    """A step failed; the message says which and why."""


@dataclass
class Container:
    """The bot's container, however the runtime runs it."""

    runtime: str
    image: str
    log_path: Path
    data_dir: Path
    process: asyncio.subprocess.Process | None = None
    working: str | None = None  # buildah's working container
    exec_prefix: list[str] = field(default_factory=list)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def start(self, env: dict[str, str]) -> None:
        flags = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        with self.log_path.open("wb") as log:
            if self.runtime == "podman":
                volume = ["-v", f"{self.data_dir}:/data"]
                args = ["podman", "run", "--rm", "--name", NAME, "--network", "host", *PODMAN_HARDENING, *volume]
                args += [*flags, self.image]
                self.exec_prefix = ["podman", "exec", NAME]
            else:
                # buildah run has no --read-only, --memory or --init, and its runs share the image's own
                # /data volume (a mount over it is ignored): no capabilities and a /tmp in memory only.
                self.working = await output("buildah", "from", self.image)
                config = json.loads(await output("buildah", "inspect", self.working))["OCIv1"]["config"]
                mounts = ["--cap-drop", "ALL", "--mount", "type=tmpfs,destination=/tmp"]
                args = ["buildah", "run", "--network", "host", *mounts, *flags, self.working, "--", *config["Cmd"]]
                self.exec_prefix = ["buildah", "run", self.working, "--"]
            self.process = await asyncio.create_subprocess_exec(*args, stdout=log, stderr=asyncio.subprocess.STDOUT)

    async def step(self, what: str, awaitable: Awaitable[T], timeout: float = 60) -> T:
        """Await ``awaitable``; fail at once (with the container's log) if the container exits first."""
        assert self.process is not None
        work = asyncio.ensure_future(awaitable)
        exited = asyncio.ensure_future(self.process.wait())
        done, _ = await asyncio.wait({work, exited}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if work in done:
            exited.cancel()
            return work.result()
        work.cancel()
        exited.cancel()
        if exited in done:
            raise SmokeFailure(f"the container exited with code {self.process.returncode} while {what}")
        raise SmokeFailure(f"timed out after {timeout:.0f}s while {what}")

    async def stop(self) -> int:
        """SIGTERM, as a container runtime sends on stop; return the exit code."""
        assert self.process is not None
        if self.runtime == "podman":
            await run("podman", "stop", "-t", "40", NAME)
        else:
            pids = await output("pgrep", "-f", "^/opt/venv/bin/python /opt/venv/bin/imagine-bot")
            await run("kill", "-TERM", *pids.split())
        return await self.step("stopping after SIGTERM", self.process.wait())

    async def remove(self) -> None:
        """Remove whatever is left: the running process, the container."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        if self.runtime == "podman":
            await run("podman", "rm", "--force", "--ignore", NAME)
        elif self.working is not None:
            await run("buildah", "rm", self.working)


async def run(*args: str) -> int:
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    return await process.wait()


async def output(*args: str) -> str:
    """The command's standard output (its errors are not ours to show: a failed check prints its own)."""
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    return (await process.communicate())[0].decode().strip()


async def build(image: str, runtime: str, flags: list[str], log_path: Path) -> None:
    """Build with the Docker image format: the OCI format has no HEALTHCHECK, and podman drops it."""
    tool = ["podman", "build"] if runtime == "podman" else ["buildah", "bud"]
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *tool, "--format", "docker", *flags, "-t", image, str(PROJECT), stdout=log, stderr=log
        )
        if await process.wait() != 0:
            raise SmokeFailure(f"the image did not build:\n{_tail(log_path, 30)}")


async def healthcheck_of(image: str, runtime: str) -> list[str]:
    """The image's HEALTHCHECK command; fail if it has none (an OCI-format build drops it)."""
    if runtime == "podman":
        healthcheck: dict[str, Any] = json.loads(await output("podman", "image", "inspect", image))[0].get(
            "Healthcheck"
        )
    else:
        inspected = json.loads(await output("buildah", "inspect", "--type", "image", image))
        healthcheck = inspected["Docker"]["config"].get("Healthcheck")
    test = (healthcheck or {}).get("Test") or []
    if not test or test[0] not in ("CMD", "CMD-SHELL"):
        raise SmokeFailure("the image has no HEALTHCHECK (build it with --format docker)")
    return list(test[1:]) if test[0] == "CMD" else ["sh", "-c", test[1]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def http_get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def smoke(container: Container, extra_env: dict[str, str]) -> bool:
    healthcheck = await healthcheck_of(container.image, container.runtime)
    print("image health check:", shlex.join(healthcheck))
    async with open_bed(container.data_dir.parent / "bed") as bed:
        metrics_port = free_port()
        env = {k: v for k, v in bed.env().items() if k != "DATA_DIR"}  # the image's own /data
        env |= {"LOG_FORMAT": "json", "METRICS_PORT": str(metrics_port), "METRICS_HOST": "127.0.0.1", **extra_env}
        await container.start(env)
        await container.step("connecting to the local Discord", bed.discord.identified.wait())
        print("connected to the local Discord; command registrations:", bed.discord.command_puts)
        interaction = await bed.discord.slash("alice", "imagine", "wan", prompt="container smoke", size="1K")
        message = await container.step(
            "waiting for the /imagine result",
            bed.discord.wait_original(interaction, lambda m: bool(m.attachments), 60),
        )
        print("result:", message.text.splitlines()[0], "| files:", [a.filename for a in message.attachments])
        uid = await container.step("reading the user id", output(*container.exec_prefix, "id", "-u"))
        print("container user id:", uid)
        healthy = ""
        for _ in range(20):  # the first heartbeat follows READY
            healthy = await container.step("running the health check", output(*container.exec_prefix, *healthcheck))
            if healthy.startswith("healthy"):
                break
            await asyncio.sleep(0.5)
        print("health check:", healthy)
        base = f"http://127.0.0.1:{metrics_port}"
        health_status, _ = await container.step("asking /healthz", http_get(f"{base}/healthz"))
        _, metrics = await container.step("scraping /metrics", http_get(f"{base}/metrics"))
        delivered = [line for line in metrics.splitlines() if line.startswith("imagine_jobs_finished_total{")]
        print("/healthz:", health_status, "| /metrics:", delivered)
        code = await container.stop()
        print("exit code after SIGTERM:", code)
    lines = container.log.splitlines()
    not_json = [line for line in lines if not _is_json_object(line)]
    print(f"container log: {len(lines)} lines, {len(not_json)} not JSON", *not_json[:3], sep="\n  " if not_json else "")
    return (
        code == 0
        and uid == "10001"
        and healthy.startswith("healthy")
        and health_status == 200
        and any('outcome="delivered"' in line and line.endswith(" 1.0") for line in delivered)
        and bool(lines)
        and not not_json
    )


def _tail(path: Path, count: int) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-count:])


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


async def main(options: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="imagine-smoke-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        os.chmod(data_dir, 0o777)  # written by the image's non-root user (uid 10001)
        container = Container(options.runtime, options.image, Path(tmp) / "container.log", data_dir)
        try:
            if options.build:
                await build(options.image, options.runtime, shlex.split(options.build_flags), Path(tmp) / "build.log")
                print("built", options.image, "(docker format)")
            ok = await smoke(container, dict(item.split("=", 1) for item in options.env))
        except SmokeFailure as failure:
            ok, reason = False, f": {failure}"
        else:
            reason = ""
        finally:
            await container.remove()
        if not ok:
            print("---- container log ----", container.log.rstrip(), "---- end of container log ----", sep="\n")
    print(f"container smoke: {'PASS' if ok else 'FAIL'}{reason}")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("image")
    parser.add_argument("--runtime", choices=("podman", "buildah"), default="podman")
    parser.add_argument("--build", action="store_true", help="build IMAGE from this checkout first")
    parser.add_argument("--build-flags", default="", help="extra flags for the build, e.g. network or CA mounts")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="extra container setting")
    raise SystemExit(asyncio.run(main(parser.parse_args())))
