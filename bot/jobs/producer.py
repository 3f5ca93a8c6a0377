"""Making a job's images: the gateway call (an edit for variations) and upload-ready files."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.catalogue import spec_for_model
from bot.gateway import GatewayClient, IncompleteResult, MalformedResponse
from bot.gateway.models import GeneratedImage, ImageSource
from bot.images import BrokenImage, PreparedImage, SourceImageGone, SourceProblem, prepare_image
from bot.storage.records import Job

from .events import Partial

FetchSource = Callable[[ImageSource], Awaitable[bytes]]  # a variation's input image, from wherever it is


@dataclass(frozen=True, slots=True)
class Produced:
    """A job's images, ready to upload, and what the summary should say about them."""

    images: list[PreparedImage]
    request_id: str | None
    revised_prompt: str | None
    partial: Partial | None = None  # fewer images came back than were asked for


class Producer:
    """Calls the gateway for a job and turns the answer into files that fit the upload limit."""

    def __init__(self, gateway: GatewayClient) -> None:
        self._gateway = gateway

    async def produce(self, job: Job, *, upload_limit: int, fetch_source: FetchSource) -> Produced:
        """Generate (or, for a variation, edit) and prepare the images off the event loop."""
        request = job.request
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
        images = await asyncio.gather(
            *(
                _prepare(image, f"{job.id}_{i + 1}", upload_limit, metadata, f"image {i + 1} of {count}")
                for i, image in enumerate(result.images)
            )
        )
        linked = [dataclasses.replace(p, source_url=i.source_url) for p, i in zip(images, result.images, strict=True)]
        return Produced(linked, result.request_id, result.revised_prompt, partial)

    @staticmethod
    async def _source_image(source: ImageSource, model: str, fetch_source: FetchSource) -> bytes:
        """The input of a variation, fetched again (so it works after restarts and in any process)."""
        data = await fetch_source(source)
        limit = spec_for_model(model).edit_max_bytes
        if len(data) > limit:
            try:
                data = (await asyncio.to_thread(prepare_image, data, stem="source", limit=limit)).data
            except BrokenImage as broken:
                raise SourceImageGone(SourceProblem.UNREADABLE, str(broken)) from None
        return data


async def _prepare(image: GeneratedImage, stem: str, limit: int, metadata: str, which: str) -> PreparedImage:
    """One upload-ready file, off the event loop; a broken image is the gateway's malformed answer."""
    try:
        return await asyncio.to_thread(prepare_image, image.data, stem=stem, limit=limit, metadata=metadata)
    except BrokenImage as broken:
        raise MalformedResponse(f"{which} from the gateway is broken: {broken}") from None


def _metadata(job: Job) -> str:
    """The generation parameters embedded in delivered PNGs (like other generators' "parameters")."""
    request = {k: v for k, v in job.request.to_dict().items() if v is not None and k != "source"}
    return json.dumps({"generator": "imagine-bot", "id": job.id, **request}, ensure_ascii=False)
