"""One table from failure to user-facing message. The precedence is the order of the checks.

Each message says what happened and who must act: the member (reword, other options, Retry
later) or the bot's operator (key, credits, the gateway account, model configuration). Which
gateway answer is which failure is decided in ``bot/gateway/error_table.py``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from bot.gateway import (
    AccountOverdue,
    Actor,
    BadRequest,
    ContentRejected,
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    ImageDownloadFailed,
    InputImageRejected,
    IPInfringement,
    MalformedResponse,
    ModelUnavailable,
    OutputRejected,
    QuotaExhausted,
    RateLimited,
    ServerError,
    Unauthorized,
)
from bot.i18n import t
from bot.images import SourceImageGone
from bot.storage.inputs import InputsMissing


@dataclass(frozen=True, slots=True)
class Failure:
    """What to tell the user, and whether a Retry button can help."""

    text: str
    retryable: bool


def describe(error: BaseException, locale: str, *, error_id: str | None = None) -> Failure:
    """Translate any failure of a job into a specific, human message in ``locale``.

    Gateway errors are named by kind; anything else is unexpected and shows ``error_id`` (which
    the caller also logs with the traceback) so the user can quote it.
    """
    if isinstance(error, SourceImageGone):
        reason = t(f"failure.source.{error.problem.value}", locale)
        return Failure(t("failure.source_gone", locale, reason=reason), retryable=False)
    if isinstance(error, InputsMissing):
        return Failure(t("failure.inputs_gone", locale), retryable=False)
    if isinstance(error, GatewayError):
        key, retryable = _gateway(error)
        support = t("failure.support", locale, request_id=error.request_id) if error.request_id else ""
        status = t("failure.http_status", locale, status=error.status) if error.status else ""
        brief = _brief(error.message, 120 if isinstance(error, MalformedResponse) else 300)
        return Failure(t(key, locale, support=support, status=status, message=brief), retryable)
    return Failure(t("failure.unexpected", locale, error_id=error_id or new_error_id()), retryable=True)


def _gateway(error: GatewayError) -> tuple[str, bool]:
    """The message key for a gateway error, and whether Retry can help."""
    match error:
        case OutputRejected():
            return "failure.output_rejected", True
        case IPInfringement():
            return "failure.ip_infringement", False
        case ContentRejected():
            return "failure.content_rejected", False
        case InputImageRejected():
            return "failure.input_rejected", False
        case QuotaExhausted():
            return "failure.quota_exhausted", True
        case AccountOverdue():
            return "failure.account_overdue", True
        case ModelUnavailable():
            return "failure.model_unavailable", True
        case Unauthorized():
            return "failure.unauthorized", False
        case BadRequest() if error.actor is Actor.MEMBER:
            return "failure.bad_request_member", False
        case BadRequest():
            return "failure.bad_request_bot", False
        case RateLimited():
            return "failure.rate_limited", True
        case GatewayTimeout():
            return "failure.timeout", True
        case GatewayUnavailable() | ServerError() if error.actor is Actor.MEMBER:
            return "failure.unavailable", True
        case MalformedResponse():
            return "failure.malformed", True
        case ImageDownloadFailed():
            return "failure.download_failed", True
    return "failure.unknown", True


def new_error_id() -> str:
    """A short id that ties a user-visible error to its log line."""
    return secrets.token_hex(4)


def _brief(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
