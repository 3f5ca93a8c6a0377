"""Members' images for edits: fetched from Discord's attachment hosts, checked, and kept by content.

``take_inputs(fetcher, storage.inputs, spec, [Attachment(url, name), …], now=…)`` fetches, checks
and stores the images of one edit; ``spec.build_edit(options, images, random_seed=…)`` then builds
its request. Failures are typed: :class:`~bot.catalogue.InvalidOption` for a file that breaks a rule
(``UnreadableImage`` for a corrupt one), :class:`AttachmentUnavailable` when Discord did not serve it.
"""

from .check import MAX_INPUT_PIXELS, CheckedImage, check_image, inspect_image
from .errors import AttachmentUnavailable, FetchProblem, HostNotAllowed, UnreadableImage
from .fetch import DISCORD_ATTACHMENT_HOSTS, AttachmentFetcher, Origin
from .intake import Attachment, fetch_all, store_all, take_inputs

__all__ = [
    "DISCORD_ATTACHMENT_HOSTS",
    "MAX_INPUT_PIXELS",
    "Attachment",
    "AttachmentFetcher",
    "AttachmentUnavailable",
    "CheckedImage",
    "FetchProblem",
    "HostNotAllowed",
    "Origin",
    "UnreadableImage",
    "check_image",
    "fetch_all",
    "inspect_image",
    "store_all",
    "take_inputs",
]
