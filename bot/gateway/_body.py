"""Reading the gateway's answers without holding their images in memory.

An answer is read in chunks: a small one (an error, or URLs) stays in memory; one that grows past
:data:`IN_MEMORY` (images inlined as base64) goes on to a spooled file. Its base64 strings are
then decoded straight into one spooled file per image, and only the rest of the JSON, with each
image replaced by a placeholder, is parsed (see :func:`split_images`).
"""

from __future__ import annotations

import binascii
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import BinaryIO

from bot.spool import Spool, SpooledFile, SpoolFull, SpoolWriter

from .errors import MalformedResponse

IN_MEMORY = 1024 * 1024  # an answer up to this size is parsed from memory
_READ = 1024 * 1024
_KEY = re.compile(rb'"b64_json"\s*:\s*"')
_KEEP = 64  # bytes kept back when no key is found: a key may straddle two reads
PLACEHOLDER = "@spooled:"  # what a decoded image's string becomes in the parsed JSON


@dataclass
class Body:
    """An answer's bytes: in memory, or in a spooled file."""

    data: bytes = b""
    file: SpooledFile | None = None

    def discard(self) -> None:
        if self.file is not None:
            self.file.discard()


async def read_body(chunks: AsyncIterator[bytes], spool: Spool, limit: int) -> Body:
    """Collect ``chunks``: in memory up to :data:`IN_MEMORY`, then in a file of at most ``limit`` bytes."""
    buffered: list[bytes] = []
    size = 0
    writer: SpoolWriter | None = None
    try:
        async for chunk in chunks:
            size += len(chunk)
            if writer is None and size <= IN_MEMORY:
                buffered.append(chunk)
                continue
            if writer is None:
                writer = spool.writer(".json", limit=limit)
                for early in buffered:
                    writer.write(early)
                buffered.clear()
            writer.write(chunk)
    except BaseException as error:
        if writer is not None:
            writer.abandon()
        if isinstance(error, SpoolFull):
            raise MalformedResponse(f"the gateway's answer is larger than {limit} bytes") from None
        raise
    if writer is None:
        return Body(data=b"".join(buffered))
    return Body(file=writer.finish())


def split_images(source: BinaryIO, spool: Spool, limit: int) -> tuple[bytes, list[SpooledFile]]:
    """Decode every ``"b64_json"`` string of the JSON in ``source`` into its own spooled file.

    Returns the JSON with each such string replaced by ``"@spooled:<index>"``, and the files in
    order. Blocking: run it in a thread. Raises :class:`MalformedResponse` for base64 that is not.
    """
    rest: list[bytes] = []
    files: list[SpooledFile] = []
    pending = b""
    try:
        while chunk := source.read(_READ):
            pending += chunk
            while (found := _KEY.search(pending)) is not None:
                rest.append(pending[: found.end()])
                image, pending = _decode_string(pending[found.end() :], source, spool, limit)
                if image.size:
                    rest.append(f"{PLACEHOLDER}{len(files)}".encode())
                    files.append(image)
                else:
                    image.discard()
            rest.append(pending[:-_KEEP])
            pending = pending[-_KEEP:]
        rest.append(pending)
    except BaseException:
        for file in files:
            file.discard()
        raise
    return b"".join(rest), files


def _decode_string(start: bytes, source: BinaryIO, spool: Spool, limit: int) -> tuple[SpooledFile, bytes]:
    """Decode base64 up to the closing quote (reading on from ``source``); return the file and what follows."""
    carry = b""  # base64 characters not yet decoded (fewer than 4), and a pending backslash
    buffer = start
    with spool.writer(".img", limit=limit) as writer:
        while True:
            end = buffer.find(b'"')
            text = buffer if end < 0 else buffer[:end]
            text = carry + text
            if text.endswith(b"\\") and end < 0:  # an escape split over two reads
                text, carry = text[:-1], b"\\"
            else:
                carry = b""
            text = text.replace(b"\\/", b"/")  # JSON may escape "/"; base64 has no other escapes
            usable = len(text) - len(text) % 4 if end < 0 else len(text)
            try:
                writer.write(binascii.a2b_base64(text[:usable], strict_mode=True))
            except (binascii.Error, ValueError):
                raise MalformedResponse("an image's `b64_json` is not valid base64") from None
            except SpoolFull:
                raise MalformedResponse(f"an image is larger than {limit} bytes") from None
            carry = text[usable:] + carry
            if end >= 0:
                return writer.finish(), buffer[end:]
            buffer = source.read(_READ)
            if not buffer:
                raise MalformedResponse("the gateway's answer ends inside an image")
