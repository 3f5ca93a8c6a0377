"""Making a job's images: the gateway call (an edit for variations) and upload-ready files."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from bot.catalogue import spec_for_model
from bot.gateway import GatewayClient, IncompleteResult, MalformedResponse
from bot.gateway.models import GeneratedImage, ImageSource
from bot.images import (
    BrokenImage,
    PreparedImage,
    SourceImageGone,
    SourceProblem,
    load_codecs,
    prepare_image,
    result_stem,
)
from bot.spool import IN_MEMORY, Spool, gather_owned
from bot.storage.records import Job

from .events import Partial
from .inputs import InputReader, load_inputs

FetchSource = Callable[[ImageSource], Awaitable[bytes]]  # a variation's input image, from wherever it is
# Threads that check, tag and re-encode images. Pillow and the file copies release the GIL, so
# these never stall the event loop; bounding them bounds the memory re-encodes take (a decoded 4K
# image is 64 MB) and keeps a burst of images from crowding out the loop's own CPU time.
IMAGE_THREADS = max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True, slots=True)
class Produced:
    """A job's images, ready to upload, and what the summary should say about them."""

    images: list[PreparedImage]
    request_id: str | None
    revised_prompt: str | None
    partial: Partial | None = None  # fewer images came back than were asked for

    def discard(self) -> None:
        """Remove the images' files (once they are posted, kept, or no longer wanted)."""
        for image in self.images:
            image.file.discard()


class Producer:
    """Calls the gateway for a job and turns the answer into files that fit the upload limit."""

    def __init__(self, gateway: GatewayClient, inputs: InputReader | None = None) -> None:
        self._gateway = gateway
        self._inputs = inputs  # the input store: the images of edits
        self._spool = gateway.spool
        self._pool = ThreadPoolExecutor(IMAGE_THREADS, thread_name_prefix="images")

    async def warm_up(self) -> None:
        """Load the image codecs in an image thread, before the first job needs them."""
        await asyncio.wrap_future(self._pool.submit(load_codecs))

    def close(self) -> None:
        """Stop the image threads (after the jobs using them ended)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _in_pool(self, work: Callable[[], PreparedImage]) -> PreparedImage:
        future = self._pool.submit(work)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.add_done_callback(_discard_prepared)  # a thread may still be finishing it
            raise

    async def produce(self, job: Job, *, upload_limit: int, fetch_source: FetchSource) -> Produced:
        """Generate (or, for a variation, edit) and prepare the images off the event loop."""
        request = job.request
        if request.inputs:  # an edit of members' images: from the input store, in order
            inputs = await load_inputs(self._inputs, request)
        else:
            inputs = [await self._source_image(request.source, request.model, fetch_source)] if request.source else []
        partial = None
        try:
            result = await self._gateway.generate(request, inputs)
        except IncompleteResult as incomplete:
            result = incomplete.result
            partial = Partial(len(result.images), incomplete.expected)
        metadata = _metadata(job)
        count = len(result.images)
        # Every image is checked to be complete before anything is posted: one broken image
        # fails the job (with Retry) rather than putting a broken file in the channel.
        tasks = [
            asyncio.ensure_future(
                self._prepare(image, result_stem(job.id, i + 1), upload_limit, metadata, f"{i + 1} of {count}")
            )
            for i, image in enumerate(result.images)
        ]
        try:
            images = await gather_owned(tasks, lambda prepared: prepared.file.discard())
        except BaseException:
            for image in result.images:  # and what was not (a prepared image's source is gone already)
                image.file.discard()
            raise
        linked = [dataclasses.replace(p, source_url=i.source_url) for p, i in zip(images, result.images, strict=True)]
        return Produced(linked, result.request_id, result.revised_prompt, partial)

    async def _prepare(self, image: GeneratedImage, stem: str, limit: int, metadata: str, which: str) -> PreparedImage:
        """One upload-ready file, in the image pool; a broken image is the gateway's malformed answer."""

        def prepare() -> PreparedImage:
            return prepare_image(image.file, spool=self._spool, stem=stem, limit=limit, metadata=metadata)

        try:
            if image.file.size <= IN_MEMORY and image.file.size <= limit:
                # Small enough to be held in memory: checked and tagged in well under a millisecond,
                # less than a thread hop costs.
                return prepare()
            return await self._in_pool(prepare)
        except BrokenImage as broken:
            raise MalformedResponse(f"image {which} from the gateway is broken: {broken}") from None

    async def _source_image(self, source: ImageSource, model: str, fetch_source: FetchSource) -> bytes:
        """The input of a variation, fetched again (so it works after restarts and in any process)."""
        data = await fetch_source(source)
        limit = spec_for_model(model).edit_max_bytes
        if len(data) > limit:
            try:
                data = await asyncio.to_thread(_shrink, data, self._spool, limit)
            except BrokenImage as broken:
                raise SourceImageGone(SourceProblem.UNREADABLE, str(broken)) from None
        return data


def _shrink(data: bytes, spool: Spool, limit: int) -> bytes:
    """A variation's input made to fit the edit endpoint's limit (blocking)."""
    prepared = prepare_image(spool.keep(data, ".img"), spool=spool, stem="source", limit=limit)
    try:
        return prepared.file.read_bytes()
    finally:
        prepared.file.discard()


def _discard_prepared(done: asyncio.Future[PreparedImage] | Future[PreparedImage]) -> None:
    if not done.cancelled() and done.exception() is None:
        done.result().file.discard()


def _metadata(job: Job) -> str:
    """The generation parameters embedded in delivered PNGs (like other generators' "parameters")."""
    request = {k: v for k, v in job.request.to_dict().items() if v is not None and k != "source"}
    return json.dumps({"generator": "imagine-bot", "id": job.id, **request}, ensure_ascii=False)
