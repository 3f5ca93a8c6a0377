"""A strict local stand-in for the image gateway (docs/gateway.md), with fault injection.

It re-implements the contract on its own (it does not import the bot's catalogue), so a bot
that builds a wrong body is caught here, as it would be by the real gateway.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web

from .gateway_edits import EditViolation, ReceivedEdit, check_edit
from .gateway_faults import IMAGE_FAULTS, ErrorAnswer, Fault, broken_image, fault_response
from .held import Held
from .images import ImageStyle, render_png

QWEN = "qwen-image-2.0-pro"
WAN = "wan2.7-image-pro"
API_KEY = "test-gateway-key"
_COMMON = {"model", "response_format", "input", "size", "n", "watermark", "seed"}
ALLOWED_FIELDS = {
    QWEN: _COMMON | {"negative_prompt", "prompt_extend"},
    WAN: _COMMON | {"thinking_mode", "enable_sequential", "color_palette"},
}
EDIT_FIELDS = {  # wan's edit OpenAPI (wan-edit.json) lists negative_prompt, unlike its text-to-image
    QWEN: _COMMON | {"negative_prompt", "prompt_extend"},
    WAN: _COMMON | {"negative_prompt", "bbox_list"},
}
_SIZE = re.compile(r"^(\d+)[*x](\d+)$")
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
_RATIO = re.compile(r"^\d{1,3}\.\d{2}%$")
WAN_PRESETS = {"1K": 1024, "2K": 2048, "4K": 4096}


class ContractViolation(Exception):
    """The body breaks the contract; becomes a 400 like the real gateway's."""


@dataclass
class FakeGateway:
    """The aiohttp app plus everything a test wants to observe or control."""

    api_key: str = API_KEY
    latency: float = 0.0
    response_format_override: str | None = None
    image_style: ImageStyle = "flat"
    url_ttl: float = 24 * 3600
    requests: list[dict[str, Any]] = field(default_factory=list)
    edits: list[ReceivedEdit] = field(default_factory=list)  # each accepted edit: images in order, instruction, boxes
    rejected: list[tuple[int, str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    _faults: deque[Fault | ErrorAnswer] = field(default_factory=deque)
    _files: dict[str, tuple[bytes, float]] = field(default_factory=dict)
    base_url: str = ""
    hold: asyncio.Event | None = None  # when set, requests wait here until the test releases them
    downloads: Held = field(default_factory=Held)  # image downloads, held back if a test says so
    revised_prompt_override: Any = None  # what `revised_prompt` holds instead of "" (schema drift)

    def fail_next(self, fault: Fault | ErrorAnswer, times: int = 1) -> None:
        """Make the next ``times`` generation requests fail with ``fault``."""
        self._faults.extend([fault] * times)

    def fail_next_with(
        self,
        status: int,
        code: str | int | None,
        message: str,
        type_: str | None = None,
        *,
        times: int = 1,
        retry_after: str | None = None,
    ) -> None:
        """Answer the next ``times`` valid requests with this error (the request is still recorded)."""
        self.fail_next(ErrorAnswer(status, message, type_, code, retry_after), times)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/images/generations", self._generations)
        app.router.add_post("/v1/images/edits", self._generations)
        app.router.add_get("/files/{token}.png", self._file)
        return app

    async def _generations(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._handle(request)
        finally:
            self.in_flight -= 1

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        fault = self._faults.popleft() if self._faults else None
        if fault is Fault.UNAUTHORIZED or request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "Invalid token (request id: fake-401)", "invalid_request_error", None)
        try:
            body = json.loads(await request.text())
        except ValueError:
            return _error(400, "body is not JSON", "invalid_request_error", None)
        editing = request.path.endswith("/edits")
        received = None
        try:
            if editing:
                (model, prompt, width, height, n), received = parse_edit(body)
            else:
                model, prompt, width, height, n = validate_body(body)
        except ContractViolation as exc:
            self.rejected.append((400, str(exc)))
            return _error(400, f"{exc} (request id: fake-400)", "invalid_request_error", "invalid_parameter")
        self.requests.append(body)
        if received is not None:
            self.edits.append(received)
        if self.hold is not None:
            await self.hold.wait()
        if self.latency:
            await asyncio.sleep(self.latency)
        if isinstance(fault, ErrorAnswer):
            return fault.response()
        if fault is not None and (response := await fault_response(fault)) is not None:
            return response

        count = n
        if fault is Fault.FEWER:
            count = max(n - 1, 1) if n > 1 else 1
        fmt = self.response_format_override or body.get("response_format", "url")
        data = []
        for index in range(count):
            png = await asyncio.to_thread(
                render_png, image_key(model, prompt, width, height, body["seed"], index, _inputs_digest(body)),
                width, height,
                style=self.image_style,
            )  # fmt: skip
            item: dict[str, Any] = {"revised_prompt": self.revised_prompt_override or ""}
            if fmt == "b64_json":
                item["b64_json"] = base64.b64encode(png).decode()
            else:
                token = secrets.token_hex(8)
                self._files[token] = (png, time.monotonic() + self.url_ttl)
                item["url"] = f"{self.base_url}/files/{token}.png"
            data.append(item)
        if isinstance(fault, Fault) and fault in IMAGE_FAULTS:
            first = data[0]
            png = base64.b64decode(first["b64_json"]) if fmt == "b64_json" else self._files[_token(first["url"])][0]
            broken = broken_image(fault, png)
            if fmt == "b64_json":
                first["b64_json"] = base64.b64encode(broken).decode()
            else:
                self._files[_token(first["url"])] = (broken, time.monotonic() + self.url_ttl)
        if fault is Fault.IMAGE_404 and fmt == "url":
            data[0]["url"] = f"{self.base_url}/files/missing.png"
        return web.json_response(
            {"created": int(time.time()), "data": data, "metadata": {"request_id": secrets.token_hex(6)}}
        )

    async def _file(self, request: web.Request) -> web.StreamResponse:
        entry = self._files.get(request.match_info["token"])
        if entry is None or entry[1] < time.monotonic():
            return web.Response(status=404, text="NoSuchKey")
        await self.downloads.wait()
        return web.Response(body=entry[0], content_type="image/png")


def _token(url: str) -> str:
    return url.rsplit("/", 1)[-1].removesuffix(".png")


def image_key(model: str, prompt: str, width: int, height: int, seed: int, index: int, inputs: str = "") -> str:
    """The identity of one fake image: same key, same bytes (``inputs``: digest of edit inputs)."""
    return f"{model}|{prompt}|{width}x{height}|{seed}|{index}" + (f"|{inputs}" if inputs else "")


def _inputs_digest(body: dict[str, Any]) -> str:
    images = [item["image"] for item in body["input"]["messages"][0]["content"] if "image" in item]
    return hashlib.sha256("".join(images).encode()).hexdigest()[:16] if images else ""


def validate_edit(body: Any) -> tuple[str, str, int, int, int]:
    """The edit contract (gateway.md, "Editing endpoint"); return (model, prompt, width, height, n)."""
    return parse_edit(body)[0]


def parse_edit(body: Any) -> tuple[tuple[str, str, int, int, int], ReceivedEdit]:
    """The edit contract; return (model, prompt, width, height, n) and what the edit carried."""
    model = _envelope(body, EDIT_FIELDS)
    try:
        (message,) = body["input"]["messages"]
        content = message["content"]
    except (KeyError, TypeError, ValueError):
        raise ContractViolation("input.messages must hold one message") from None
    if message.get("role") != "user" or not isinstance(content, list) or not content:
        raise ContractViolation("the message must be role user with content")
    *images, text = content
    if set(text) != {"text"} or not str(text["text"]).strip() or any(set(i) != {"image"} for i in images):
        raise ContractViolation("content must be image items followed by exactly one text item")
    for key in ("watermark", "prompt_extend"):
        if key in body and not isinstance(body[key], bool):
            raise ContractViolation(f"{key} must be a boolean")
    neg = body.get("negative_prompt")
    if neg is not None and (not isinstance(neg, str) or len(neg) > 500):
        raise ContractViolation("negative_prompt must be a string of at most 500 characters")
    seed, n = body.get("seed"), body.get("n")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= 2147483647:
        raise ContractViolation("seed must be an integer in [0, 2147483647]")
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= (6 if model == QWEN else 4):
        raise ContractViolation("n out of range for edits")
    size = body.get("size")
    if not isinstance(size, str):
        raise ContractViolation("size must be sent as a string")
    if model == WAN and size in ("1K", "2K"):
        width = height = WAN_PRESETS[size]
    else:
        width, height = _custom_size(size, 512 if model == QWEN else 768, 2048, None if model == QWEN else 8)
    try:
        received = check_edit(model, [item["image"] for item in images], text["text"], body)
    except EditViolation as exc:
        raise ContractViolation(str(exc)) from None
    return (model, text["text"], width, height, n), received


def validate_body(body: Any) -> tuple[str, str, int, int, int]:
    """Apply the contract; return (model, prompt, width, height, n) or raise ContractViolation."""
    model = _envelope(body, ALLOWED_FIELDS)
    prompt = _prompt(body.get("input"))
    if model == QWEN and len(prompt) > 800:
        raise ContractViolation("prompt too long")
    if model == WAN and len(prompt) > 5000:
        raise ContractViolation("prompt too long")
    for key in ("watermark", "prompt_extend", "thinking_mode", "enable_sequential"):
        if key in body and not isinstance(body[key], bool):
            raise ContractViolation(f"{key} must be a boolean")
    seed = body.get("seed")
    if seed is None or isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2147483647:
        raise ContractViolation("seed must be an integer in [0, 2147483647] (this bot always sends it)")
    n = body.get("n")
    if isinstance(n, bool) or not isinstance(n, int):
        raise ContractViolation("n must be sent as an integer")
    if "size" not in body or not isinstance(body["size"], str):
        raise ContractViolation("size must be sent as a string")
    sequential = body.get("enable_sequential", False)
    if model == QWEN:
        if not 1 <= n <= 6:
            raise ContractViolation("n must be 1-6")
        neg = body.get("negative_prompt")
        if neg is not None and (not isinstance(neg, str) or len(neg) > 500):
            raise ContractViolation("negative_prompt must be a string of at most 500 characters")
        width, height = _custom_size(body["size"], 512, 2048, None)
    else:
        if not 1 <= n <= (12 if sequential else 4):
            raise ContractViolation("n out of range for the mode")
        size = body["size"]
        if size in WAN_PRESETS:
            if size == "4K" and sequential:
                raise ContractViolation("4K is only available for plain text-to-image")
            width = height = WAN_PRESETS[size]
        else:
            width, height = _custom_size(size, 768, 2048 if sequential else 4096, 8)
        if "color_palette" in body:
            if sequential:
                raise ContractViolation("color_palette needs enable_sequential=false")
            _palette(body["color_palette"])
    return model, prompt, width, height, n


def _envelope(body: Any, allowed: dict[str, set[str]]) -> str:
    """Checks shared by both endpoints; returns the model."""
    if not isinstance(body, dict):
        raise ContractViolation("body must be an object")
    for superseded in ("parameters", "prompt"):
        if superseded in body:
            raise ContractViolation(f"top-level `{superseded}` is not accepted")
    model = body.get("model")
    if model not in allowed:
        raise ContractViolation(f"unknown model {model!r}")
    unknown = set(body) - allowed[model]
    if unknown:
        raise ContractViolation(f"fields not accepted for {model} here: {sorted(unknown)}")
    if body.get("response_format", "url") not in ("url", "b64_json"):
        raise ContractViolation("response_format must be url or b64_json")
    return str(model)


def _prompt(value: Any) -> str:
    try:
        (message,) = value["messages"]
        (item,) = message["content"]
    except (KeyError, TypeError, ValueError):
        raise ContractViolation("input.messages must hold one message with one content item") from None
    if message.get("role") != "user" or set(item) != {"text"}:
        raise ContractViolation("the message must be role user with one text item")
    text = item["text"]
    if not isinstance(text, str) or not text.strip():
        raise ContractViolation("prompt text must be a non-empty string")
    return text


def _custom_size(size: str, lo: int, hi: int, max_aspect: int | None) -> tuple[int, int]:
    match = _SIZE.match(size)
    if match is None:
        raise ContractViolation(f"size {size!r} is not W*H")
    width, height = int(match[1]), int(match[2])
    if not lo * lo <= width * height <= hi * hi:
        raise ContractViolation(f"size {size!r} out of pixel range")
    if max_aspect and max(width, height) > max_aspect * min(width, height):
        raise ContractViolation(f"size {size!r} aspect ratio out of range")
    return width, height


def _palette(value: Any) -> None:
    if not isinstance(value, list) or not 3 <= len(value) <= 10:
        raise ContractViolation("color_palette needs 3-10 entries")
    total = Decimal(0)
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"hex", "ratio"}:
            raise ContractViolation("palette entries are {hex, ratio}")
        if not _HEX.match(str(entry["hex"])) or not _RATIO.match(str(entry["ratio"])):
            raise ContractViolation(f"bad palette entry {entry}")
        total += Decimal(entry["ratio"][:-1])
    if total != Decimal("100.00"):
        raise ContractViolation(f"palette ratios sum to {total}%, not 100.00%")


def _error(status: int, message: str, type_: str, code: str | None) -> web.Response:
    return ErrorAnswer(status, message, type_, code).response()
