"""Making a job's images: the gateway call (an edit for variations) and Discord-ready files."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from dataclasses import dataclass

import discord
from PIL import UnidentifiedImageError

from bot.catalogue import spec_for_model
from bot.gateway import GatewayClient, IncompleteResult, MalformedResponse
from bot.gateway.models import ImageSource
from bot.images import PreparedImage, SourceImageGone, prepare_image
from bot.storage import Generation


@dataclass(frozen=True, slots=True)
class Produced:
    """A job's images, ready to upload, and what the summary should say about them."""

    images: list[PreparedImage]
    notes: list[str]
    request_id: str | None
    revised_prompt: str | None


class Producer:
    """Calls the gateway for a generation and turns the answer into files that fit the upload limit."""

    def __init__(self, client: discord.Client, gateway: GatewayClient) -> None:
        self._client = client
        self._gateway = gateway

    async def produce(self, generation: Generation, *, upload_limit: int) -> Produced:
        """Generate (or, for a variation, edit) and prepare the images off the event loop."""
        request = generation.request
        notes: list[str] = []
        inputs = [await self._source_image(request.source, request.model)] if request.source else []
        try:
            result = await self._gateway.generate(request, inputs)
        except IncompleteResult as partial:
            result = partial.result
            notes.append(f"⚠️ The gateway returned {len(result.images)} of {partial.expected} images.")
        metadata = _metadata(generation)
        try:
            images = await asyncio.gather(
                *(
                    asyncio.to_thread(
                        prepare_image,
                        image.data,
                        stem=f"{generation.id}_{i + 1}",
                        limit=upload_limit,
                        metadata=metadata,
                    )
                    for i, image in enumerate(result.images)
                )
            )
        except UnidentifiedImageError:
            raise MalformedResponse("an image from the gateway could not be decoded") from None
        linked = [dataclasses.replace(p, source_url=i.source_url) for p, i in zip(images, result.images, strict=True)]
        return Produced(linked, notes, result.request_id, result.revised_prompt)

    async def _source_image(self, source: ImageSource, model: str) -> bytes:
        """The input of a variation, fetched again from its message (so it works after restarts too)."""
        try:
            message = await self._client.get_partial_messageable(source.channel_id).fetch_message(source.message_id)
        except discord.HTTPException:
            raise SourceImageGone("the message with the original image is gone") from None
        attachment = next((a for a in message.attachments if a.filename == source.filename), None)
        if attachment is None:
            raise SourceImageGone("the original image is no longer attached")
        data = await attachment.read()
        limit = spec_for_model(model).edit_max_bytes
        if len(data) > limit:
            data = (await asyncio.to_thread(prepare_image, data, stem="source", limit=limit)).data
        return data


def _metadata(generation: Generation) -> str:
    """The generation parameters embedded in delivered PNGs (like other generators' "parameters")."""
    request = {k: v for k, v in generation.request.to_dict().items() if v is not None and k != "source"}
    return json.dumps({"generator": "imagine-bot", "id": generation.id, **request}, ensure_ascii=False)
