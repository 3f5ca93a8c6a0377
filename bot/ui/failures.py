"""One table from failure to user-facing message. The precedence is the order of the checks."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from bot.gateway import (
    BadRequest,
    ContentRejected,
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    ImageDownloadFailed,
    MalformedResponse,
    QuotaExhausted,
    RateLimited,
    ServerError,
    Unauthorized,
)
from bot.images import SourceImageGone


@dataclass(frozen=True, slots=True)
class Failure:
    """What to tell the user, and whether a Retry button can help."""

    text: str
    retryable: bool


def describe(error: BaseException, *, error_id: str | None = None) -> Failure:
    """Translate any failure of a job into a specific, human message.

    Gateway errors are named by kind; anything else is unexpected and shows ``error_id`` (which
    the caller also logs with the traceback) so the user can quote it.
    """
    support = f" (gateway request `{error.request_id}`)" if isinstance(error, GatewayError) and error.request_id else ""
    match error:
        case ContentRejected() if "output" in error.message.casefold():
            return Failure("🚫 The gateway's content filter refused the image it produced. A new seed may get "
                           "through; otherwise reword the prompt." + support, retryable=True)  # fmt: skip
        case ContentRejected():
            return Failure("🚫 The gateway's content filter refused this prompt. Try rewording it." + support,
                           retryable=False)  # fmt: skip
        case SourceImageGone():
            return Failure(f"🖼️ I can't make this variation: {error}. Vary an image that is still posted.",
                           retryable=False)  # fmt: skip
        case BadRequest():
            return Failure(f"⚠️ The gateway rejected the request as invalid{support}: {_brief(error.message)}",
                           retryable=False)  # fmt: skip
        case Unauthorized():
            return Failure("🔑 The gateway refused the bot's API key. The bot's operator needs to check "
                           "GATEWAY_API_KEY.", retryable=False)  # fmt: skip
        case QuotaExhausted():
            return Failure("💳 The image gateway account is out of credits. Ask the bot's operator to top it "
                           "up, then press Retry.", retryable=True)  # fmt: skip
        case RateLimited():
            return Failure("⏳ The gateway is rate limiting us and did not recover after several tries. "
                           "Press Retry in a minute.", retryable=True)  # fmt: skip
        case GatewayUnavailable() | ServerError():
            return Failure("🛠️ The image gateway is having trouble right now" + support + ". Press Retry in a "
                           "little while.", retryable=True)  # fmt: skip
        case GatewayTimeout():
            return Failure("⌛ The gateway did not finish in time. Press Retry, or try a smaller size or "
                           "fewer images.", retryable=True)  # fmt: skip
        case MalformedResponse() | ImageDownloadFailed():
            return Failure("📭 The gateway's answer held no usable image" + support + ". Press Retry.",
                           retryable=True)  # fmt: skip
        case GatewayError():
            return Failure(f"⚠️ The gateway failed{support}. Press Retry.", retryable=True)
    return Failure(f"💥 Something went wrong on our side (error id `{error_id or new_error_id()}`). "
                   "Press Retry, or quote the id to the bot's operator.", retryable=True)  # fmt: skip


def new_error_id() -> str:
    """A short id that ties a user-visible error to its log line."""
    return secrets.token_hex(4)


def _brief(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
