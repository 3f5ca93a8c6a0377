"""The input images of an edit job, read back from the input store for the gateway call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.gateway.models import GenerationRequest


class InputReader(Protocol):
    """The part of the input store a job needs (:class:`bot.storage.inputs.InputStore`)."""

    async def load(self, digests: Sequence[str]) -> list[bytes]:
        """The bytes of each digest, in order; raise ``InputsMissing`` if one is not stored."""
        ...


async def load_inputs(reader: InputReader | None, request: GenerationRequest) -> list[bytes]:
    """The bytes of ``request``'s input images, in its order (sent to the gateway as data URIs).

    They come from the database, never from Discord, so a re-run works after restarts and in any
    process, however old the request. Raises ``InputsMissing`` if one is gone.
    """
    if not request.inputs:
        return []
    if reader is None:
        raise RuntimeError("this process was built without an input store, and the job edits stored images")
    return await reader.load(request.inputs)
