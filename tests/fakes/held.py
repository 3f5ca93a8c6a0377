"""Requests a test holds back in a local fake, counted: how many are held now, and the most at once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass
class Held:
    """Set ``hold`` to keep requests waiting until the test sets the event; ``now`` and ``most`` count them."""

    hold: asyncio.Event | None = None
    now: int = 0
    most: int = 0

    async def wait(self) -> None:
        """Count this request in while it waits for ``hold`` (at once if there is none)."""
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            if self.hold is not None:
                await self.hold.wait()
        finally:
            self.now -= 1
