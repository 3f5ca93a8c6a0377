"""Taking the input images of an edit: fetched and checked together, stored only when all pass."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from bot.catalogue import ModelSpec, image_field
from bot.storage.inputs import InputStore

from .check import CheckedImage
from .fetch import AttachmentFetcher


class Attachment(NamedTuple):
    """An input image as the interaction gives it: its Discord URL and file name."""

    url: str
    name: str | None = None


async def fetch_all(
    fetcher: AttachmentFetcher, spec: ModelSpec, attachments: Iterable[Attachment]
) -> list[CheckedImage]:
    """Fetch and check ``attachments`` (in option order) at once.

    Each is named by its option (``image``, ``image2`` …). When several fail, the first in order is
    raised, so the member hears about ``image`` before ``image2``.
    """
    tasks = [
        fetcher.fetch(item.url, spec, field=image_field(index), name=item.name)
        for index, item in enumerate(attachments)
    ]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [result for result in results if isinstance(result, CheckedImage)]


async def store_all(store: InputStore, images: Sequence[CheckedImage], *, now: float) -> None:
    """Keep checked images in the input store (once per content), before their job is admitted."""
    for image in images:
        await store.put(image.data, media_type=image.media_type.value, width=image.width, height=image.height, now=now)


async def take_inputs(
    fetcher: AttachmentFetcher, store: InputStore, spec: ModelSpec, attachments: Iterable[Attachment], *, now: float
) -> list[CheckedImage]:
    """Fetch, check and store the input images of an edit; nothing is stored unless every one passes.

    Then build the request with ``spec.build_edit(options, images, random_seed=…)``.
    """
    images = await fetch_all(fetcher, spec, attachments)
    await store_all(store, images, now=now)
    return images
