"""The async client for the image gateway. Cogs never see aiohttp types: only models and errors."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp

from .error_table import error_from_response
from .errors import (
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    ImageDownloadFailed,
    IncompleteResult,
    MalformedResponse,
    ServerError,
)
from .models import GeneratedImage, GenerationRequest, GenerationResult, ResponseFormat
from .probe import PROBE_BODY, PROBE_TIMEOUT, ProbeOutcome, ProbeResult
from .retry import backoff_delay, should_retry

if TYPE_CHECKING:
    from bot.metrics import GatewayObserver

log = logging.getLogger(__name__)

GENERATIONS_PATH = "/v1/images/generations"
EDITS_PATH = "/v1/images/edits"
DEFAULT_TIMEOUT = 300.0  # generation may take minutes (thinking mode, 4K, sequential sets)
DOWNLOAD_TIMEOUT = 60.0
DEFAULT_DOWNLOAD_LIMIT = 64 * 1024 * 1024  # a 4K PNG can be tens of MB
DOWNLOAD_ENDPOINT = "image_download"  # how image downloads are named to the observer
_CHUNK = 256 * 1024


class GatewayClient:
    """Calls ``POST {base}/v1/images/generations`` and returns the decoded images.

    One instance is shared by the whole bot, on the entry point's ``aiohttp.ClientSession``.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        api_key: str,
        response_format: ResponseFormat = "url",
        timeout: float = DEFAULT_TIMEOUT,
        download_limit: int = DEFAULT_DOWNLOAD_LIMIT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        observer: GatewayObserver | None = None,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._response_format: ResponseFormat = response_format
        self._timeout = timeout
        self._download_limit = download_limit
        self._sleep = sleep
        self._observer = observer

    async def generate(self, request: GenerationRequest, images: Sequence[bytes] = ()) -> GenerationResult:
        """Generate images for ``request``; with input ``images``, edit them (variations).

        Input images are sent as data URIs. Raises a :class:`GatewayError` subclass;
        :class:`IncompleteResult` carries the images that did arrive when fewer than ``n`` came
        back outside image-set mode.
        """
        uris = await asyncio.to_thread(lambda: [_data_uri(image) for image in images]) if images else []
        payload = request.to_payload(self._response_format, uris)
        path = EDITS_PATH if uris else GENERATIONS_PATH
        try:
            async with asyncio.timeout(self._timeout):
                body = await self._post_with_retries(path, payload)
                result = await self._parse_result(body)
        except TimeoutError:
            raise GatewayTimeout(f"no answer from the gateway within {self._timeout:.0f}s") from None
        if len(result.images) < request.n and not request.enable_sequential:
            raise IncompleteResult(
                f"gateway returned {len(result.images)} of {request.n} images",
                result=result,
                expected=request.n,
            )
        return result

    async def probe(self, timeout: float = PROBE_TIMEOUT) -> ProbeResult:
        """Check that the gateway answers and accepts the key, without generating (see :mod:`.probe`).

        Sent once, never retried, and not reported to the observer: it is not a generation.
        """
        headers = {"Authorization": f"Bearer {self._api_key}"}
        url = self._base_url + GENERATIONS_PATH
        started = time.monotonic()
        try:
            async with (
                asyncio.timeout(timeout),
                self._session.post(url, json=PROBE_BODY, headers=headers) as response,
            ):
                text = await response.text()
        except TimeoutError:
            return ProbeResult(ProbeOutcome.TIMEOUT, None, time.monotonic() - started, f"no answer within {timeout:g}s")
        except aiohttp.ClientConnectorError as exc:
            refused = isinstance(exc.os_error, ConnectionRefusedError)
            reason = "connection refused" if refused else str(exc.os_error.strerror or exc.os_error)
            return ProbeResult(ProbeOutcome.UNREACHABLE, None, time.monotonic() - started, reason)
        except aiohttp.ClientError as exc:
            return ProbeResult(ProbeOutcome.SERVER_ERROR, None, time.monotonic() - started, type(exc).__name__)
        if self._api_key:  # a gateway may quote the key it refuses: the result never carries it
            text = text.replace(self._api_key, "***")
        return ProbeResult.from_answer(response.status, text, time.monotonic() - started)

    async def _post_with_retries(self, path: str, payload: dict[str, Any]) -> Any:
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                body = await self._post(path, payload)
            except GatewayError as error:
                log.warning(
                    "gateway %s failed: model=%s attempt=%d status=%s code=%s request_id=%s elapsed=%.1fs",
                    path, payload["model"], attempt, error.status, error.code, error.request_id,
                    time.monotonic() - started,
                )  # fmt: skip
                if not should_retry(error, attempt):
                    raise
                if self._observer is not None:
                    self._observer.gateway_retry(path, type(error).__name__)
                await self._sleep(backoff_delay(error, attempt))
                continue
            log.info(
                "gateway %s ok: model=%s n=%s size=%s attempt=%d elapsed=%.1fs",
                path, payload["model"], payload["n"], payload["size"], attempt, time.monotonic() - started,
            )  # fmt: skip
            return body

    async def _post(self, path: str, payload: dict[str, Any]) -> Any:
        headers = {"Authorization": f"Bearer {self._api_key}"}
        started, outcome = time.monotonic(), "cancelled"  # unless it ends below: job timeout or shutdown
        try:
            async with self._session.post(self._base_url + path, json=payload, headers=headers) as response:
                text = await response.text()
                status = response.status
                retry_after = _retry_after(response.headers.get("Retry-After"))
                outcome = str(status)
        except aiohttp.ClientConnectorError as exc:
            outcome = "unreachable"
            raise GatewayUnavailable(f"cannot reach the gateway: {exc.os_error or exc}") from None
        except aiohttp.ClientError as exc:
            outcome = "connection_error"
            raise ServerError(f"connection to the gateway broke: {type(exc).__name__}") from None
        finally:
            self._observe(path, outcome, started)
        if self._api_key:  # some gateways quote the key they were sent: it never goes further than here
            text = text.replace(self._api_key, "***")
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = None
            if status == 200:
                raise MalformedResponse("the gateway answered 200 with a body that is not JSON") from None
        if status != 200:
            raise error_from_response(status, body, retry_after)
        return body

    async def _parse_result(self, body: Any) -> GenerationResult:
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise MalformedResponse("the gateway's answer has no `data` list")
        items = [item for item in body["data"] if isinstance(item, dict)]
        if not items:
            raise MalformedResponse("the gateway returned no images")
        images = await asyncio.gather(*(self._image(item) for item in items))
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        request_id = metadata.get("request_id") if metadata else None
        created = body.get("created")
        return GenerationResult(
            images=tuple(images),
            created=created if isinstance(created, int) else None,
            request_id=str(request_id) if request_id else None,
            metadata=metadata or {},
        )

    async def _image(self, item: dict[str, Any]) -> GeneratedImage:
        revised = item.get("revised_prompt") if isinstance(item.get("revised_prompt"), str) else None
        revised = revised or None  # often "" (qwen's synchronous API does not return it)
        if isinstance(item.get("b64_json"), str) and item["b64_json"]:
            data = await asyncio.to_thread(_decode_b64, item["b64_json"])
            return GeneratedImage(data=data, revised_prompt=revised)
        if isinstance(item.get("url"), str) and item["url"]:
            data = await self._download(item["url"])
            return GeneratedImage(data=data, source_url=item["url"], revised_prompt=revised)
        raise MalformedResponse("an image item has neither `url` nor `b64_json`")

    async def _download(self, url: str) -> bytes:
        # Image URLs are pre-signed storage links: never send our API key to them.
        timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT)
        started, outcome = time.monotonic(), "cancelled"
        try:
            async with self._session.get(url, timeout=timeout) as response:
                outcome = str(response.status)  # a broken body below turns it into an error kind
                if response.status != 200:
                    raise ImageDownloadFailed(f"image download answered HTTP {response.status}", status=response.status)
                if (response.content_length or 0) > self._download_limit:
                    raise ImageDownloadFailed(f"image is larger than {self._download_limit} bytes")
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.content.iter_chunked(_CHUNK):
                    size += len(chunk)
                    if size > self._download_limit:
                        raise ImageDownloadFailed(f"image is larger than {self._download_limit} bytes")
                    chunks.append(chunk)
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome = "timeout" if isinstance(exc, TimeoutError) else "connection_error"
            raise ImageDownloadFailed(f"image download failed: {type(exc).__name__}") from None
        finally:
            self._observe(DOWNLOAD_ENDPOINT, outcome, started)
        if not chunks:
            raise ImageDownloadFailed("image download returned no bytes")
        return b"".join(chunks)

    def _observe(self, endpoint: str, outcome: str, started: float) -> None:
        if self._observer is not None:
            self._observer.gateway_request(endpoint, outcome, time.monotonic() - started)


def _data_uri(image: bytes) -> str:
    mime = "image/png" if image.startswith(b"\x89PNG") else "image/webp" if image[8:12] == b"WEBP" else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(image).decode()}"


def _decode_b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedResponse("an image's `b64_json` is not valid base64") from None


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
