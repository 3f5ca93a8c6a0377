"""Input images as data URIs: the gateway gets the bytes themselves and never has to reach Discord."""

from __future__ import annotations

import base64

# Magic numbers of the formats the edit endpoints take (docs/gateway.md, "Editing endpoint").
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


def media_type(image: bytes) -> str | None:
    """The media type of ``image`` from its first bytes, or None if it is none of the known formats."""
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for signature, kind in _SIGNATURES if image.startswith(signature)), None)


def data_uri(image: bytes) -> str:
    """``data:<media type>;base64,<bytes>`` for ``image`` (blocking for large images: call it in a thread)."""
    kind = media_type(image) or "image/jpeg"  # unknown: as before (only checked inputs and results come here)
    return f"data:{kind};base64,{base64.b64encode(image).decode()}"
