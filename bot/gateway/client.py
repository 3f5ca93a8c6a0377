"""The async client for the image gateway. Cogs never see aiohttp types: only models and errors."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp

from bot.spool import Spool, SpooledFile, SpoolFull, default_spool, gather_owned

from ._body import IN_MEMORY, PLACEHOLDER, Body, read_body, split_images
from .datauri import data_uri
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
# Image downloads at once, per client. Each stream costs the event loop a callback and a file
# write per chunk: a burst of hundreds at once makes every turn of the loop long (lag) without
# arriving any sooner. 8 keeps the loop's p99 lag near 20 ms while 50 jobs of four 2K images
# finish together, in the same time as 16 (docs/benchmarks.md).
MAX_DOWNLOADS = 8


class GatewayClient:
    """Calls ``POST {base}/v1/images/generations`` and returns the images, as spooled files.

    One instance is shared by the whole bot, on the entry point's ``aiohttp.ClientSession``.
    Images are streamed into ``spool`` (URL downloads and inline base64 alike) and never held in
    memory whole; the caller owns the returned files and discards them.
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
        spool: Spool | None = None,
    ) -> None:
        self._session = session
        self.spool = spool or default_spool()
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._response_format: ResponseFormat = response_format
        self._timeout = timeout
        self._download_limit = download_limit
        self._sleep = sleep
        self._observer = observer
        self._downloads = asyncio.Semaphore(MAX_DOWNLOADS)

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
                status = response.status
                retry_after = _retry_after(response.headers.get("Retry-After"))
                # An error's body is small; a success's may inline every image as base64.
                limit = self._body_limit(payload) if status == 200 else IN_MEMORY
                raw = await read_body(response.content.iter_any(), self.spool, limit)
                outcome = str(status)
        except aiohttp.ClientConnectorError as exc:
            outcome = "unreachable"
            raise GatewayUnavailable(f"cannot reach the gateway: {exc.os_error or exc}") from None
        except aiohttp.ClientError as exc:
            outcome = "connection_error"
            raise ServerError(f"connection to the gateway broke: {type(exc).__name__}") from None
        except MalformedResponse:
            outcome = str(status)
            raise
        finally:
            self._observe(path, outcome, started)
        if raw.file is not None:  # a 200 too large for memory: images inlined as base64
            return await asyncio.to_thread(self._parse_spooled, raw)
        text = raw.data.decode("utf-8", errors="replace")
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

    def _body_limit(self, payload: dict[str, Any]) -> int:
        """The largest answer accepted: every image inlined as base64, and room for the rest."""
        return (int(payload.get("n") or 1) * self._download_limit * 4) // 3 + IN_MEMORY

    def _parse_spooled(self, raw: Body) -> Any:
        """Decode the inlined images of a large answer into spooled files; parse the rest (blocking)."""
        assert raw.file is not None
        try:
            with raw.file.open() as source:
                rest, files = split_images(source, self.spool, self._download_limit)
        finally:
            raw.discard()
        text = rest.decode("utf-8", errors="replace")
        if self._api_key:
            text = text.replace(self._api_key, "***")
        try:
            body = json.loads(text)
        except ValueError:
            for file in files:
                file.discard()
            raise MalformedResponse("the gateway answered 200 with a body that is not JSON") from None
        if isinstance(body, dict):
            body["_spooled"] = files
        return body

    async def _parse_result(self, body: Any) -> GenerationResult:
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise MalformedResponse("the gateway's answer has no `data` list")
        items = [item for item in body["data"] if isinstance(item, dict)]
        if not items:
            raise MalformedResponse("the gateway returned no images")
        spooled: list[SpooledFile] = body.pop("_spooled", [])
        tasks = [asyncio.ensure_future(self._image(item, spooled)) for item in items]
        try:
            images = await gather_owned(tasks, lambda image: image.file.discard())
        except BaseException:
            for file in spooled:
                file.discard()
            raise
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        request_id = metadata.get("request_id") if metadata else None
        created = body.get("created")
        return GenerationResult(
            images=tuple(images),
            created=created if isinstance(created, int) else None,
            request_id=str(request_id) if request_id else None,
            metadata=metadata or {},
        )

    async def _image(self, item: dict[str, Any], spooled: list[SpooledFile]) -> GeneratedImage:
        revised = item.get("revised_prompt") if isinstance(item.get("revised_prompt"), str) else None
        revised = revised or None  # often "" (qwen's synchronous API does not return it)
        inline = item.get("b64_json")
        if isinstance(inline, str) and inline.startswith(PLACEHOLDER):  # decoded from a large answer
            file = spooled[int(inline.removeprefix(PLACEHOLDER))]
            return GeneratedImage(file=file, revised_prompt=revised)
        if isinstance(inline, str) and inline:  # a small answer: decoded from memory
            return GeneratedImage(file=await asyncio.to_thread(self._decode_b64, inline), revised_prompt=revised)
        if isinstance(item.get("url"), str) and item["url"]:
            file = await self._download(item["url"])
            return GeneratedImage(file=file, source_url=item["url"], revised_prompt=revised)
        raise MalformedResponse("an image item has neither `url` nor `b64_json`")

    def _decode_b64(self, text: str) -> SpooledFile:
        try:
            data = base64.b64decode(text, validate=True)
        except ValueError:  # binascii.Error is one
            raise MalformedResponse("an image's `b64_json` is not valid base64") from None
        try:
            return self.spool.keep(data, ".img", limit=self._download_limit)
        except SpoolFull:
            raise MalformedResponse(f"an image is larger than {self._download_limit} bytes") from None

    async def _download(self, url: str) -> SpooledFile:
        async with self._downloads:
            return await self._download_now(url)

    async def _download_now(self, url: str) -> SpooledFile:
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
                # Each chunk goes to the file as it arrives: only aiohttp's read buffer is in memory.
                with self.spool.writer(".img", limit=self._download_limit) as writer:
                    async for chunk in response.content.iter_any():
                        writer.write(chunk)
                    file = writer.finish()
        except SpoolFull:
            raise ImageDownloadFailed(f"image is larger than {self._download_limit} bytes") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome = "timeout" if isinstance(exc, TimeoutError) else "connection_error"
            raise ImageDownloadFailed(f"image download failed: {type(exc).__name__}") from None
        finally:
            self._observe(DOWNLOAD_ENDPOINT, outcome, started)
        if not file.size:
            file.discard()
            raise ImageDownloadFailed("image download returned no bytes")
        return file

    def _observe(self, endpoint: str, outcome: str, started: float) -> None:
        if self._observer is not None:
            self._observer.gateway_request(endpoint, outcome, time.monotonic() - started)


def _data_uri(image: bytes) -> str:
    return data_uri(image)  # the media type sniffed from the bytes (GIF, BMP, TIFF too: members' inputs)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
