"""A bare bot for the fake's own tests: one gateway connection and REST calls, with no discord.py in between."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from tests.fakes.server import serve

from ._model import Interaction
from .fake import FakeDiscord


@asynccontextmanager
async def running_fake() -> AsyncIterator[FakeDiscord]:
    """The local Discord alone, on a loopback port."""
    fake = FakeDiscord()
    async with serve(fake.app()) as url:
        fake.base_url = url
        yield fake


class Probe:
    """Identifies as the bot, reads dispatches in order, and calls the REST API with the bot's token."""

    def __init__(self, fake: FakeDiscord, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.fake = fake
        self.session = session
        self.ws = ws

    async def event(self, name: str) -> dict[str, Any]:
        """The next dispatch called ``name`` (earlier other ones are skipped)."""
        while True:
            message = await self.ws.receive_json(timeout=5)
            if message.get("op") == 0 and message.get("t") == name:
                data: dict[str, Any] = message["d"]
                return data

    async def call(
        self, method: str, path: str, body: Any = None, files: Sequence[tuple[str, bytes]] = (), *, auth: bool = True
    ) -> tuple[int, Any]:
        """``method /api/v10{path}`` with a JSON body, or multipart when there are files."""
        headers = {"Authorization": f"Bot {self.fake.token}"} if auth else {}
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        if files:
            form = aiohttp.FormData()
            form.add_field("payload_json", json.dumps(body or {}), content_type="application/json")
            for index, (name, data) in enumerate(files):
                form.add_field(f"files[{index}]", data, filename=name)
            kwargs = {"data": form}
        url = f"{self.fake.base_url}/api/v10{path}"
        async with self.session.request(method, url, headers=headers, **kwargs) as response:
            return response.status, await response.json(content_type=None) if response.status != 204 else None

    async def respond(
        self, interaction: Interaction, body: dict[str, Any], files: Sequence[tuple[str, bytes]] = ()
    ) -> tuple[int, Any]:
        """The interaction callback (no bot token: Discord authenticates it by the interaction token)."""
        path = f"/interactions/{interaction.id}/{interaction.token}/callback"
        return await self.call("POST", path, body, files, auth=False)

    async def webhook(
        self, method: str, interaction: Interaction, suffix: str, body: Any, files: Sequence[tuple[str, bytes]] = ()
    ) -> tuple[int, Any]:
        """A follow-up (``suffix`` "") or an edit of a response (``suffix`` "/messages/@original")."""
        path = f"/webhooks/{self.fake.application_id}/{interaction.token}{suffix}"
        return await self.call(method, path, body, files, auth=False)

    async def sync(self, commands: list[dict[str, Any]]) -> tuple[int, Any]:
        """PUT the server's commands."""
        path = f"/applications/{self.fake.application_id}/guilds/{self.fake.guild_id}/commands"
        return await self.call("PUT", path, commands)

    async def fetch(self, url: str) -> tuple[int, bytes]:
        """GET a CDN link."""
        async with self.session.get(url) as response:
            return response.status, await response.read()


@asynccontextmanager
async def probe(fake: FakeDiscord) -> AsyncIterator[Probe]:
    """Connect as the bot: IDENTIFY and READY done, GUILD_CREATE waiting to be read."""
    async with aiohttp.ClientSession() as session, session.ws_connect(fake.base_url + "/gateway") as ws:
        await ws.receive_json()  # HELLO
        await ws.send_json({"op": 2, "d": {"token": fake.token, "intents": 1, "properties": {}}})
        bot = Probe(fake, session, ws)
        await bot.event("READY")
        await fake.identified.wait()
        yield bot
