"""The minimal reference: defer → call the gateway → send the files. No validation, storage or buttons.

It registers the same ``/imagine qwen`` shape so the same bed can drive it. Figures for our bot
are printed as ratios to this one, which keeps them comparable across machines.
"""

from __future__ import annotations

import asyncio
import io
import os
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands


class ReferenceBot(discord.Client):
    def __init__(self, session: aiohttp.ClientSession) -> None:
        super().__init__(intents=discord.Intents(guilds=True))
        self.session = session
        self.tree = app_commands.CommandTree(self)
        group = app_commands.Group(name="imagine", description="Generate images")

        @group.command(name="qwen", description="Generate images")
        async def qwen(interaction: discord.Interaction[Any], prompt: str, size: str = "1024*1024",
                       count: int = 1, seed: int = 0) -> None:  # fmt: skip
            await interaction.response.defer(thinking=True)
            body = {
                "model": "qwen-image-2.0-pro", "response_format": "url", "size": size, "n": count, "seed": seed,
                "input": {"messages": [{"role": "user", "content": [{"text": prompt}]}]}, "watermark": False,
            }  # fmt: skip
            headers = {"Authorization": f"Bearer {os.environ['GATEWAY_API_KEY']}"}
            url = os.environ["GATEWAY_BASE_URL"] + "/v1/images/generations"
            async with self.session.post(url, json=body, headers=headers) as response:
                data = await response.json()
            files = []
            for index, item in enumerate(data["data"]):
                async with self.session.get(item["url"]) as image:
                    files.append(discord.File(io.BytesIO(await image.read()), filename=f"{index}.png"))
            await interaction.followup.send(files=files)

        self.tree.add_command(group)

    async def setup_hook(self) -> None:
        guild = discord.Object(int(os.environ["DEV_GUILD_ID"]))
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)


async def run() -> None:
    discord.http.Route.BASE = os.environ["DISCORD_API_BASE_URL"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])
    async with aiohttp.ClientSession() as session, ReferenceBot(session) as client:
        await client.start(os.environ["DISCORD_TOKEN"])


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
