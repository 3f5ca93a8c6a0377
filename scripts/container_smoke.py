"""Prove the container image starts and serves: the local bed on the host, the bot in a container.

    .venv/bin/python scripts/container_smoke.py IMAGE                     # podman run (or docker-like hosts)
    .venv/bin/python scripts/container_smoke.py IMAGE --runtime buildah   # sandboxes where runc may not set rlimits

It starts the local Discord and gateway, runs the image's own command pointed at them (host
network), drives one /imagine, checks the container user, then sends SIGTERM and expects exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.bed import open_bed


async def output(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE)
    return (await process.communicate())[0].decode().strip()


async def start(image: str, runtime: str, env: dict[str, str]) -> tuple[asyncio.subprocess.Process, list[str]]:
    """Start the image's command; return the process and the command prefix to exec in it."""
    if runtime == "podman":
        flags = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        args = ["podman", "run", "--rm", "--name", "imagine-smoke", "--network", "host", *flags, image]
        return await asyncio.create_subprocess_exec(*args), ["podman", "exec", "imagine-smoke"]
    container = await output("buildah", "from", image)
    for key, value in env.items():
        await (await asyncio.create_subprocess_exec("buildah", "config", "--env", f"{key}={value}", container)).wait()
    argv = json.loads(await output("buildah", "inspect", container))["OCIv1"]["config"]["Cmd"]
    process = await asyncio.create_subprocess_exec("buildah", "run", "--network", "host", container, "--", *argv)
    return process, ["buildah", "run", container, "--"]


async def main(image: str, runtime: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        async with open_bed(Path(tmp) / "data") as bed:
            env = {k: v for k, v in bed.env().items() if k != "DATA_DIR"}  # the image's own /data
            process, exec_prefix = await start(image, runtime, env)
            await asyncio.wait_for(bed.discord.identified.wait(), 60)
            print("connected to the local Discord; command registrations:", bed.discord.command_puts)
            interaction = await bed.discord.slash("alice", "imagine", "wan", prompt="container smoke", size="1K")
            message = await bed.discord.wait_original(interaction, lambda m: bool(m.attachments), 60)
            print("result:", message.content.splitlines()[0], "| files:", [a.filename for a in message.attachments])
            uid = await output(*exec_prefix, "id", "-u")
            print("container user id:", uid)
            for _ in range(20):  # the first heartbeat follows READY
                healthy = await output(*exec_prefix, "python", "-m", "bot.healthcheck")
                if healthy.startswith("healthy"):
                    break
                await asyncio.sleep(0.5)
            print("health check:", healthy)
            if runtime == "podman":
                await (await asyncio.create_subprocess_exec("podman", "stop", "-t", "40", "imagine-smoke")).wait()
            else:
                pids = await output("pgrep", "-f", "^/opt/venv/bin/python /opt/venv/bin/imagine-bot")
                await (await asyncio.create_subprocess_exec("kill", "-TERM", *pids.split())).wait()
            code = await asyncio.wait_for(process.wait(), 60)
            print("exit code after SIGTERM:", code)
            ok = code == 0 and uid == "10001" and bool(message.attachments) and healthy.startswith("healthy")
            print("container smoke:", "PASS" if ok else "FAIL")
            return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("image")
    parser.add_argument("--runtime", choices=("podman", "buildah"), default="podman")
    options = parser.parse_args()
    raise SystemExit(asyncio.run(main(options.image, options.runtime)))
