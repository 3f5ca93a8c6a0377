"""The local gateway's failures: error answers in the gateway's shape, and hostile images.

Written from docs/gateway.md ("Errors") on its own: it never imports the bot's error table, so
a wrong reading of the contract in the bot shows up as a failing test.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Fault(StrEnum):
    """Named failures the fake can be told to produce for the next request(s)."""

    RATE_LIMIT = "rate_limit"
    RATE_LIMIT_RETRY_AFTER = "rate_limit_retry_after"
    QUOTA = "quota"
    SERVER_500 = "500"
    BAD_GATEWAY = "502"
    UNAVAILABLE = "503"
    HANG = "hang"
    MALFORMED = "malformed"
    EMPTY = "empty"
    MODERATION = "moderation"
    RESULT_MODERATION = "result_moderation"
    IMAGE_404 = "image_404"
    FEWER = "fewer"
    UNAUTHORIZED = "unauthorized"
    CORRUPT_IMAGE = "corrupt_image"  # the first image is not an image at all
    BOMB_IMAGE = "bomb_image"  # the first image is a PNG declaring 50000×50000 pixels
    TRUNCATED_IMAGE = "truncated_image"  # the first image is a real PNG cut in half


IMAGE_FAULTS = frozenset({Fault.CORRUPT_IMAGE, Fault.BOMB_IMAGE, Fault.TRUNCATED_IMAGE})


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """One error answer, ``{"error": {"message", "type", "param", "code"}}`` with a status."""

    status: int
    message: str
    type_: str | None = None
    code: str | int | None = None  # some gateway builds send a number
    retry_after: str | None = None  # the Retry-After header, when the gateway sends one

    def response(self) -> web.Response:
        payload = {"error": {"message": self.message, "type": self.type_, "param": None, "code": self.code}}
        response = web.json_response(payload, status=self.status)
        if self.retry_after is not None:
            response.headers["Retry-After"] = self.retry_after
        return response


# The named faults that are plain error answers, as an observed gateway build sends them.
ANSWERS: dict[Fault, ErrorAnswer] = {
    Fault.RATE_LIMIT: ErrorAnswer(429, "Rate limit reached (request id: fake-429)", "rate_limit_error", "rate_limit"),
    Fault.RATE_LIMIT_RETRY_AFTER: ErrorAnswer(429, "Rate limit reached", "rate_limit_error", "rate_limit", "0"),
    Fault.QUOTA: ErrorAnswer(429, "Insufficient quota", "insufficient_user_quota", "insufficient_user_quota"),
    Fault.SERVER_500: ErrorAnswer(500, "upstream failure", "server_error"),
    Fault.BAD_GATEWAY: ErrorAnswer(502, "upstream failure", "server_error"),
    Fault.UNAVAILABLE: ErrorAnswer(503, "upstream failure", "server_error"),
    Fault.MODERATION: ErrorAnswer(
        400,
        "Input data may contain inappropriate content. (request id: fake-mod)",
        "invalid_request_error",
        "DataInspectionFailed",
    ),
    Fault.RESULT_MODERATION: ErrorAnswer(
        400, "Output data may contain inappropriate content.", "invalid_request_error", "DataInspectionFailed"
    ),
}


async def fault_response(fault: Fault) -> web.StreamResponse | None:
    """The whole answer for a fault that replaces the generation, or None if it alters a good one."""
    if fault in ANSWERS:
        return ANSWERS[fault].response()
    match fault:
        case Fault.HANG:
            await asyncio.sleep(3600)
        case Fault.MALFORMED:
            return web.Response(status=200, text="{not json", content_type="application/json")
        case Fault.EMPTY:
            return web.json_response({"created": 1, "data": [], "metadata": {}})
    return None


def broken_image(fault: Fault, png: bytes) -> bytes:
    """What an image fault serves in place of the real ``png``."""
    match fault:
        case Fault.BOMB_IMAGE:
            return bomb_png()
        case Fault.TRUNCATED_IMAGE:
            return png[: len(png) // 2]
    return b"this is not an image"


def bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A well-formed PNG of a few dozen bytes that declares ``width``×``height`` RGB pixels.

    Every chunk and checksum is valid; only the declared size is hostile (2.5 G pixels, 7.5 GB
    decoded): the pixel data is one short row, as a bomb's would be a tiny, highly compressed stream.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(64))) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
