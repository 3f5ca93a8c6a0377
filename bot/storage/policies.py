"""Server policies and member preferences, stored as JSON documents (one row each).

A command reads its server's policy and its member's preferences in one query; a change is a
read-modify-write under the server's lock, so two admins changing settings at once both count.
Every process reads the database, so a change takes effect at once everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .database import Database, guild_lock, user_lock

Document = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PolicyDocuments:
    """What one query returns for a command: the server's policy and the member's preferences."""

    policy: Document  # empty: the bot's defaults
    preferences: Document  # empty: none set


class PolicyStore:
    """Reads and writes the JSON documents (what they mean is ``bot.policy``'s business)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def load(self, guild_id: int | None, user_id: int) -> PolicyDocuments:
        """The server's policy (none in direct messages) and the member's preferences, in one read."""
        row = await self._db.fetchone(
            "SELECT (SELECT policy FROM server_policies WHERE guild_id = ?) AS policy,"
            " (SELECT preferences FROM member_preferences WHERE user_id = ?) AS preferences",
            (guild_id or 0, user_id),
        )
        policy = row["policy"] if row is not None else None
        preferences = row["preferences"] if row is not None else None
        return PolicyDocuments(json.loads(policy) if policy else {}, json.loads(preferences) if preferences else {})

    async def update_policy(self, guild_id: int, change: Callable[[Document], Document], *, now: float) -> Document:
        """Apply ``change`` to the server's policy atomically; return the new policy."""
        async with self._db.transaction(locks=[guild_lock(guild_id)]) as tx:
            row = await tx.fetchone("SELECT policy FROM server_policies WHERE guild_id = ?", (guild_id,))
            updated = change(json.loads(row["policy"]) if row is not None else {})
            await tx.execute(
                "INSERT INTO server_policies (guild_id, policy, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at",
                (guild_id, json.dumps(updated, sort_keys=True), now),
            )
        return updated

    async def reset_policy(self, guild_id: int) -> None:
        """Back to the bot's defaults."""
        await self._db.execute("DELETE FROM server_policies WHERE guild_id = ?", (guild_id,))

    async def set_preferences(self, user_id: int, preferences: Document, *, now: float) -> None:
        """Replace a member's preferences."""
        await self.update_preferences(user_id, lambda _: preferences, now=now)

    async def update_preferences(self, user_id: int, change: Callable[[Document], Document], *, now: float) -> Document:
        """Apply ``change`` to a member's preferences atomically (under the member's lock); return them."""
        async with self._db.transaction(locks=[user_lock(user_id)]) as tx:
            row = await tx.fetchone("SELECT preferences FROM member_preferences WHERE user_id = ?", (user_id,))
            updated = change(json.loads(row["preferences"]) if row is not None else {})
            await tx.execute(
                "INSERT INTO member_preferences (user_id, preferences, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET preferences = excluded.preferences,"
                " updated_at = excluded.updated_at",
                (user_id, json.dumps(updated, sort_keys=True), now),
            )
        return updated

    async def reset_preferences(self, user_id: int) -> None:
        """Forget a member's preferences."""
        await self._db.execute("DELETE FROM member_preferences WHERE user_id = ?", (user_id,))
