"""One gateway websocket connection: its compression stream, sequence, session and shard."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass(eq=False)
class _Connection:
    """One gateway websocket: its compression stream, sequence and session, and the shard it serves."""

    ws: web.WebSocketResponse
    compressor: Any
    shard: tuple[int, int] = (0, 1)
    sequence: int = 0
    session_id: str = ""
    ready: bool = False

    def owns(self, guild_id: int | None) -> bool:
        """Whether this shard receives the server's events (Discord's rule: (id >> 22) % count)."""
        shard_id, count = self.shard
        return ((guild_id or 0) >> 22) % count == shard_id

    async def send(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        if self.compressor is None:
            await self.ws.send_str(data.decode())
        else:
            await self.ws.send_bytes(self.compressor.compress(data) + self.compressor.flush(zlib.Z_SYNC_FLUSH))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self.sequence += 1
        await self.send({"op": 0, "t": event, "s": self.sequence, "d": data})
