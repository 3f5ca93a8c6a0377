"""Typed client for the image gateway."""

from .client import GatewayClient
from .errors import (
    BadRequest,
    ContentRejected,
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    ImageDownloadFailed,
    IncompleteResult,
    MalformedResponse,
    QuotaExhausted,
    RateLimited,
    ServerError,
    Unauthorized,
)
from .models import GeneratedImage, GenerationRequest, GenerationResult, PaletteColor

__all__ = [
    "BadRequest",
    "ContentRejected",
    "GatewayClient",
    "GatewayError",
    "GatewayTimeout",
    "GatewayUnavailable",
    "GeneratedImage",
    "GenerationRequest",
    "GenerationResult",
    "ImageDownloadFailed",
    "IncompleteResult",
    "MalformedResponse",
    "PaletteColor",
    "QuotaExhausted",
    "RateLimited",
    "ServerError",
    "Unauthorized",
]
