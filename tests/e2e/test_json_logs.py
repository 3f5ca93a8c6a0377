"""JSON logs of a real ``python -m bot``: one object per line, the job's ids bound, no secret anywhere.

The bot runs at DEBUG (discord.py then logs its HTTP routes and raw gateway events, interaction
tokens included) with canary credentials, through a delivered job, a failure whose gateway error
quotes the API key back (as some gateways do), and an unexpected crash inside a job (injected by
``crash_hook/sitecustomize.py``, with the key in the exception's message).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.bed import Bed
from tests.fakes.discord import FakeDiscord
from tests.fakes.gateway import FakeGateway
from tests.fakes.server import serve
from tests.paths import PROJECT

from .helpers import result_of

CANARY_TOKEN = "MTE5OTk5OTk5OTk5OTk5OTk5.GcAnRy.canary-discord-token-0123456789"
CANARY_KEY = "sk-canary-gateway-key-9876543210"


@dataclass
class CandidGateway(FakeGateway):
    """The local gateway, plus an answer real gateways give: a 401 quoting the key it was sent."""

    quote_key_next: bool = False

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.quote_key_next:
            self.quote_key_next = False
            sent = request.headers.get("Authorization", "").removeprefix("Bearer ")
            error = {"message": f"Incorrect API key provided: {sent} (request id: fake-quote)", "code": "invalid_key"}
            return web.json_response({"error": {**error, "type": "invalid_request_error"}}, status=401)
        return await super()._handle(request)


@asynccontextmanager
async def candid_bed(data_dir: Path) -> AsyncIterator[Bed]:
    discord = FakeDiscord(token=CANARY_TOKEN)
    gateway = CandidGateway(api_key=CANARY_KEY)
    async with serve(discord.app()) as discord_url, serve(gateway.app()) as gateway_url:
        discord.base_url, gateway.base_url = discord_url, gateway_url
        bed = Bed(discord, gateway, data_dir)
        bed.extra_env |= {"GATEWAY_API_KEY": CANARY_KEY, "LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}
        yield bed


async def test_json_log_binds_ids_and_never_shows_a_secret(tmp_path: Path) -> None:
    async with candid_bed(tmp_path / "data") as bed:
        gateway = bed.gateway
        assert isinstance(gateway, CandidGateway)
        hooked = f"{Path(__file__).parent / 'crash_hook'}{os.pathsep}{PROJECT}"
        async with bed.bot_process(env={"PYTHONPATH": hooked}) as bot:
            fine = await result_of(bed.discord, await bed.discord.slash("alice", "imagine", "qwen", prompt="fine"))
            gateway.quote_key_next = True
            refused = await result_of(bed.discord, await bed.discord.slash("alice", "imagine", "qwen", prompt="key"))
            crashed = await result_of(bed.discord, await bed.discord.slash("alice", "imagine", "qwen", prompt="crash"))
            assert await bot.terminate() == 0
        output = bot.output
        interaction_tokens = [interaction.token for interaction in bed.discord.interactions.values()]
        guild, alice = str(bed.discord.guild_id), str(bed.discord.users["alice"].id)
    assert fine.attachments and "API key" in refused.text and "Something went wrong" in crashed.text

    entries: list[dict[str, Any]] = [json.loads(line) for line in output.splitlines()]  # every line is JSON
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys(), entry
        assert entry["time"].endswith("+00:00") and "T" in entry["time"]

    # No secret, in any form, anywhere: the bot token, the gateway key, interaction tokens.
    for secret in (CANARY_TOKEN, CANARY_KEY, *interaction_tokens):
        assert secret not in output
    # ...though each was there to leak: the seams above put them in records, and they were replaced.
    assert any("Incorrect API key provided: ***" in e["message"] for e in entries)
    assert any(
        e["logger"] == "discord.webhook.async_" and "/webhooks/" in e["message"] and "/***/" in e["message"]
        for e in entries
    )
    assert any("INTERACTION_CREATE" in e["message"] and "'token': '***'" in e["message"] for e in entries)

    ids = [job_id(message.text) for message in (fine, refused, crashed)]
    for job in ids:
        lines = [e for e in entries if e.get("job_id") == job]
        assert len(lines) >= 2, job  # accepted (the interaction), then running and ending (the job's task)
        assert all(e.get("guild_id") == guild and e.get("user_id") == alice for e in lines), lines
    delivered = one(entries, ids[0], "delivered")
    assert delivered["gateway_request_id"]
    assert one(entries, ids[1], "failed")["gateway_request_id"] == "fake-quote"
    crash = one(entries, ids[2], "failed unexpectedly")
    assert crash["level"] == "ERROR" and "RuntimeError: unexpected state while holding ***" in crash["traceback"]
    assert crash["traceback"].startswith("Traceback (most recent call last)")


def job_id(content: str) -> str:
    return content.rsplit("id `", 1)[1].split("`", 1)[0]


def one(entries: list[dict[str, Any]], job: str, words: str) -> dict[str, Any]:
    (found,) = [e for e in entries if e.get("job_id") == job and f"job {job} {words}" in e["message"]]
    return found
