"""The input store: members' images for edits, kept once per content (sha256) in the database.

A job names its inputs by digest (``GenerationRequest.inputs``), so Same seed, New seed and Remix
re-send the same images after restarts and from any process. The database links every job to its
inputs itself (migration 0007: a trigger on ``jobs``), in the transaction that stores the job, so
an input is kept exactly as long as a job names it; deleting a job (retention) unlinks it.
Inputs no job names are purged once they are older than a grace period (``purge_unused``).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .database import Database, Row

_SHA256_HEX = 64


@dataclass(frozen=True, slots=True)
class StoredInput:
    """What the store knows about one input image, without its bytes."""

    digest: str  # sha256 of the bytes, hex
    media_type: str  # e.g. "image/png"
    width: int
    height: int
    byte_size: int
    stored_at: float  # when it was last stored (a second store of the same bytes renews it)


class InputsMissing(LookupError):
    """Input images a request names are not in the store (never stored, or purged)."""

    def __init__(self, digests: Sequence[str]) -> None:
        self.digests = tuple(digests)
        super().__init__(f"input images not stored: {', '.join(d[:12] for d in self.digests)}")


class InputStore:
    """Input images in the database (either backend), by content."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def put(self, data: bytes, *, media_type: str, width: int, height: int, now: float) -> StoredInput:
        """Store ``data`` (once per content: the same bytes again only renew ``stored_at``); return it.

        Store the inputs of an edit before admitting its job: the database refuses a job that names
        an input it does not hold.
        """
        digest = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
        renewed = await self._db.execute("UPDATE inputs SET stored_at = ? WHERE digest = ?", (now, digest))
        if not renewed:  # new bytes (or two stores racing: the first wins, both get the same row)
            await self._db.execute(
                "INSERT INTO inputs (digest, media_type, width, height, byte_size, data, stored_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
                (digest, media_type, width, height, len(data), data, now),
            )
        return StoredInput(digest, media_type, width, height, len(data), now)

    async def describe(self, digests: Sequence[str]) -> list[StoredInput]:
        """The stored inputs named by ``digests``, in the same order; raise :class:`InputsMissing`."""
        rows = await self._rows("digest, media_type, width, height, byte_size, stored_at", digests)
        found = {row["digest"]: _stored(row) for row in rows}
        _check_all_found(digests, found)
        return [found[digest] for digest in digests]

    async def load(self, digests: Sequence[str]) -> list[bytes]:
        """The bytes of the inputs named by ``digests``, in the same order; raise :class:`InputsMissing`."""
        rows = await self._rows("digest, data", digests)
        found = {row["digest"]: bytes(row["data"]) for row in rows}
        _check_all_found(digests, found)
        return [found[digest] for digest in digests]

    async def purge_unused(self, *, before: float) -> int:
        """Delete inputs no job names that were last stored before ``before``; return how many.

        The grace keeps an input stored a moment ago for the edit about to be admitted.
        """
        return await self._db.execute(
            "DELETE FROM inputs WHERE stored_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM job_inputs WHERE job_inputs.digest = inputs.digest)",
            (before,),
        )

    async def referenced_by(self, job_id: str) -> list[str]:
        """The digests a stored job names (each once)."""
        rows = await self._db.fetchall("SELECT digest FROM job_inputs WHERE job_id = ? ORDER BY digest", (job_id,))
        return [str(row["digest"]) for row in rows]

    async def _rows(self, columns: str, digests: Sequence[str]) -> list[Row]:
        wanted = sorted({d for d in digests if len(d) == _SHA256_HEX})
        if not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        return await self._db.fetchall(f"SELECT {columns} FROM inputs WHERE digest IN ({marks})", wanted)


def _stored(row: Row) -> StoredInput:
    return StoredInput(
        digest=str(row["digest"]),
        media_type=str(row["media_type"]),
        width=int(row["width"]),
        height=int(row["height"]),
        byte_size=int(row["byte_size"]),
        stored_at=float(row["stored_at"]),
    )


def _check_all_found(digests: Sequence[str], found: Mapping[str, object]) -> None:
    missing = [digest for digest in dict.fromkeys(digests) if digest not in found]
    if missing:
        raise InputsMissing(missing)
