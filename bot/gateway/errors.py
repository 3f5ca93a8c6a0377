"""The gateway client's errors, and who has to act on each.

Which answer becomes which error is decided by the table in :mod:`bot.gateway.error_table`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from .models import GenerationResult

_REQUEST_ID = re.compile(r"\(request id: ([^)]+)\)")


class Actor(StrEnum):
    """Who can make a failure go away, so the message can say what to do and to whom."""

    MEMBER = "member"  # the person who asked: reword, pick other options, or press Retry later
    SERVER_ADMIN = "server_admin"  # the Discord server's admins (permissions); no gateway answer is theirs
    OPERATOR = "operator"  # whoever runs the bot: its key, the gateway account, its configuration


class GatewayError(Exception):
    """Base class: anything that went wrong talking to the image gateway.

    ``actor`` says who must act and ``retryable`` whether the client may send the same request
    again (read by the retry policy). Both have a default per class; the error table sets them
    for each answer it recognises.
    """

    actor: Actor = Actor.OPERATOR
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        actor: Actor | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        if actor is not None:
            self.actor = actor
        if retryable is not None:
            self.retryable = retryable

    @property
    def request_id(self) -> str | None:
        """The gateway's request id quoted in the error message, for support."""
        match = _REQUEST_ID.search(self.message)
        return match[1] if match else None


class BadRequest(GatewayError):
    """400/404/413: the gateway rejected the parameters or the body."""

    actor = Actor.MEMBER


class InputImageRejected(BadRequest):
    """A variation's input image was refused (``InvalidParameter.DataInspection``: format, size, content)."""


class ContentRejected(GatewayError):
    """Content moderation refused the prompt."""

    actor = Actor.MEMBER


class OutputRejected(ContentRejected):
    """Content moderation refused the image the model produced (another seed may pass)."""


class IPInfringement(ContentRejected):
    """The prompt was flagged as a likely intellectual-property infringement (``IPInfringementSuspect``)."""


class Unauthorized(GatewayError):
    """401/403: the API key is missing or wrong, or the account is blocked."""


class QuotaExhausted(GatewayError):
    """The gateway account is out of credits (``insufficient_user_quota``). Never retried."""


class AccountOverdue(GatewayError):
    """The gateway's own upstream account is overdue (``Arrearage``): nothing can be generated for anyone."""


class ModelUnavailable(GatewayError):
    """The gateway has no channel serving the model (``model_not_found``, ``get_channel_failed``)."""


class RateLimited(GatewayError):
    """Too many requests right now (429, ``Throttling*``); "quota" in those codes is a rate quota."""

    actor = Actor.MEMBER
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(GatewayError):
    """5xx, or a connection that broke mid-request: the gateway or the upstream model failed."""

    actor = Actor.MEMBER


class GatewayUnavailable(GatewayError):
    """The gateway could not be reached at all (connection refused, DNS failure): safe to retry."""

    actor = Actor.MEMBER
    retryable = True


class GatewayTimeout(GatewayError):
    """No complete answer in time: our own total timeout, or the gateway's 408/504."""

    actor = Actor.MEMBER


class MalformedResponse(GatewayError):
    """A 200 whose body is not the documented shape, holds no image, or an image that is broken."""

    actor = Actor.MEMBER


class ImageDownloadFailed(GatewayError):
    """A returned image URL could not be fetched (expired, 404, too large)."""

    actor = Actor.MEMBER


class IncompleteResult(GatewayError):
    """Fewer images than asked for; ``result`` holds the ones that did arrive."""

    actor = Actor.MEMBER

    def __init__(self, message: str, *, result: GenerationResult, expected: int) -> None:
        super().__init__(message)
        self.result = result
        self.expected = expected
