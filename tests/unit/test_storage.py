"""Storage: records round-trip, and old databases are migrated at start-up."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot.catalogue import QWEN, WAN, ImagineOptions
from bot.storage import MIGRATIONS, Action, Status, Storage


async def test_created_record_matches_what_is_stored(tmp_path: Path) -> None:
    request = WAN.build_request(ImagineOptions(prompt="p", palette="#000000, #111111, #222222"), random_seed=lambda: 3)
    async with Storage.open(str(tmp_path / "db.sqlite3")) as storage:
        created = await storage.create_generation(
            request=request, action=Action.IMAGINE, guild_id=1, channel_id=2, user_id=3, parent_id=None
        )
        assert await storage.get_generation(created.id) == created
        await storage.mark_running(created.id)
        await storage.mark_done(created.id, message_id=9, image_count=1, gateway_request_id="r")
        done = await storage.get_generation(created.id)
    assert done is not None and (done.status, done.attempts, done.message_id) == (Status.DONE, 1, 9)


async def test_a_version_1_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    request = QWEN.build_request(ImagineOptions(prompt="from v1"), random_seed=lambda: 1)
    with sqlite3.connect(path) as old:
        old.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
        old.execute(
            "INSERT INTO generations (id, action, channel_id, user_id, model, request, seed, status, created_at)"
            " VALUES ('oldjob01', 'imagine', 2, 3, ?, ?, 1, 'queued', 1.0)",
            (request.model, json.dumps(request.to_dict())),
        )
    async with Storage.open(str(path)) as storage:
        (record,) = await storage.unfinished()
        assert record.id == "oldjob01" and record.request == request
        assert record.status_message_id is None and record.attempts == 0
    with sqlite3.connect(path) as migrated:
        assert migrated.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
