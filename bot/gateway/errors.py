"""The gateway client's errors, and the one function that maps a response to them."""

from __future__ import annotations

import re
from typing import Any

from .models import GenerationResult

_REQUEST_ID = re.compile(r"\(request id: ([^)]+)\)")
_MODERATION_MARKERS = ("datainspectionfailed", "inappropriate", "moderation", "sensitive", "content policy")


class GatewayError(Exception):
    """Base class: anything that went wrong talking to the image gateway."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    @property
    def request_id(self) -> str | None:
        """The gateway's request id quoted in the error message, for support."""
        match = _REQUEST_ID.search(self.message)
        return match[1] if match else None


class BadRequest(GatewayError):
    """400/413: the gateway rejected the parameters."""


class ContentRejected(GatewayError):
    """The prompt or the generated image was refused by content moderation."""


class Unauthorized(GatewayError):
    """401/403: the API key is missing, wrong, or the account is blocked."""


class QuotaExhausted(GatewayError):
    """429 with ``insufficient_user_quota``: the account is out of credits. Never retried."""


class RateLimited(GatewayError):
    """429 without a quota code: too many requests right now."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(GatewayError):
    """5xx: the gateway or the upstream model failed."""


class GatewayUnavailable(GatewayError):
    """The gateway could not be reached at all (connection refused, DNS failure)."""


class GatewayTimeout(GatewayError):
    """No complete answer within the configured total timeout."""


class MalformedResponse(GatewayError):
    """A 200 whose body is not the documented shape, or holds no image."""


class ImageDownloadFailed(GatewayError):
    """A returned image URL could not be fetched (expired, 404, too large)."""


class IncompleteResult(GatewayError):
    """Fewer images than asked for; ``result`` holds the ones that did arrive."""

    def __init__(self, message: str, *, result: GenerationResult, expected: int) -> None:
        super().__init__(message)
        self.result = result
        self.expected = expected


def error_from_response(status: int, body: Any, retry_after: float | None = None) -> GatewayError:
    """Map an HTTP status and the gateway's error body to the matching exception."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {}
    message = str(error.get("message") or f"HTTP {status}")
    code = str(error["code"]) if error.get("code") is not None else None
    haystack = f"{message} {code or ''} {error.get('type') or ''}".casefold()
    kwargs: dict[str, Any] = {"status": status, "code": code}

    if status == 429:
        if "insufficient_user_quota" in haystack or "quota" in (code or "").casefold():
            return QuotaExhausted(message, **kwargs)
        return RateLimited(message, retry_after=retry_after, **kwargs)
    if status == 422 or (status == 400 and any(m in haystack for m in _MODERATION_MARKERS)):
        return ContentRejected(message, **kwargs)
    if status in (400, 404, 413):
        return BadRequest(message, **kwargs)
    if status in (401, 403):
        return Unauthorized(message, **kwargs)
    if status >= 500:
        return ServerError(message, **kwargs)
    return GatewayError(message, **kwargs)
