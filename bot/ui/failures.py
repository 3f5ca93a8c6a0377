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
from bot.images import SourceImageGone

ASK_OPERATOR = "Ask the bot's operator"


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
    if isinstance(error, SourceImageGone):
        text = f"🖼️ I can't make this variation: {error}. Vary an image that is still posted."
        return Failure(text, retryable=False)
    if isinstance(error, GatewayError):
        return _gateway(error)
    text = (
        f"💥 Something went wrong on our side (error id `{error_id or new_error_id()}`). "
        "Press Retry, or quote the id to the bot's operator."
    )
    return Failure(text, retryable=True)


def _gateway(error: GatewayError) -> Failure:
    support = f" (gateway request `{error.request_id}`)" if error.request_id else ""
    match error:
        case OutputRejected():
            text = (
                "🚫 The gateway's content filter refused the image it produced. A new seed may get through "
                f"(press 🎲 New seed); otherwise reword the prompt.{support}"
            )
            return Failure(text, retryable=True)
        case IPInfringement():
            text = (
                "©️ The gateway flagged this prompt as a possible copyright or trademark infringement. Reword it "
                f"without named characters, brands or artists' works.{support}"
            )
            return Failure(text, retryable=False)
        case ContentRejected():
            text = f"🚫 The gateway's content filter refused this prompt. Try rewording it.{support}"
            return Failure(text, retryable=False)
        case InputImageRejected():
            text = (
                "🖼️ The gateway refused the image to vary (its format, size or content did not pass its check)"
                f"{support}. Try a variation of another image."
            )
            return Failure(text, retryable=False)
        case QuotaExhausted():
            text = f"💳 The image gateway account is out of credits. {ASK_OPERATOR} to top it up, then press Retry."
            return Failure(text, retryable=True)
        case AccountOverdue():
            text = (
                "💳 The image gateway cannot generate for anyone right now: its own upstream account is overdue. "
                f"{ASK_OPERATOR} to contact the gateway provider, then press Retry."
            )
            return Failure(text, retryable=True)
        case ModelUnavailable():
            text = (
                f"🧩 The image gateway has no available channel for this model{support}. {ASK_OPERATOR} to check "
                "that the model is enabled for the bot's gateway account, then press Retry."
            )
            return Failure(text, retryable=True)
        case Unauthorized():
            text = (
                "🔑 The gateway refused the bot's API key or blocked its account. "
                f"{ASK_OPERATOR} to check GATEWAY_API_KEY and the gateway account."
            )
            return Failure(text, retryable=False)
        case BadRequest() if error.actor is Actor.MEMBER:
            text = (
                f"⚠️ The gateway rejected the request as invalid{support}: {_brief(error.message)}\n"
                "Try other options (size, count, prompt)."
            )
            return Failure(text, retryable=False)
        case BadRequest():
            text = (
                f"⚠️ The gateway rejected the bot's request{support}: {_brief(error.message)}\n"
                f"This is not something you can fix. {ASK_OPERATOR} to look at the bot's log."
            )
            return Failure(text, retryable=False)
        case RateLimited():
            text = (
                "⏳ The gateway is rate limiting us: too many requests right now, and it did not clear after "
                "several tries. Press Retry in a minute."
            )
            return Failure(text, retryable=True)
        case GatewayTimeout():
            text = (
                f"⌛ The gateway did not finish in time{support}. Press Retry, or try a smaller size or fewer images."
            )
            return Failure(text, retryable=True)
        case GatewayUnavailable() | ServerError() if error.actor is Actor.MEMBER:
            text = f"🛠️ The image gateway is having trouble right now{support}. Press Retry in a little while."
            return Failure(text, retryable=True)
        case MalformedResponse():
            text = (
                f"📭 The gateway sent a malformed answer ({_brief(error.message, 120)}), so there is no usable "
                f"image{support}. Press Retry."
            )
            return Failure(text, retryable=True)
        case ImageDownloadFailed():
            text = (
                f"📭 An image the gateway made could not be downloaded{support}, so there is no usable image. "
                "Press Retry."
            )
            return Failure(text, retryable=True)
    status = f" (HTTP {error.status})" if error.status else ""
    text = (
        f"⚠️ The gateway failed with an answer the bot does not know{status}{support}. Press Retry; "
        "if it keeps happening, ask the bot's operator to look at the bot's log."
    )
    return Failure(text, retryable=True)


def new_error_id() -> str:
    """A short id that ties a user-visible error to its log line."""
    return secrets.token_hex(4)


def _brief(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
