"""The one table from failure to user message: each kind is specific; unexpected ones carry an id."""

from __future__ import annotations

import pytest

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
from bot.gateway.error_table import ROWS, UNKNOWN, ErrorRow
from bot.images import SourceImageGone, SourceProblem
from bot.storage.inputs import InputsMissing
from bot.ui.failures import describe

OPERATOR = "Ask the bot's operator"


@pytest.mark.parametrize(
    ("error", "phrases", "retry"),
    [
        (ContentRejected("Input data may contain inappropriate content."), ["refused this prompt", "reword"], False),
        (
            OutputRejected("Output data may contain inappropriate content."),
            ["refused the image it produced", "New seed"],
            True,
        ),
        (IPInfringement("Input data is suspected of IP infringement."), ["copyright or trademark", "Reword"], False),
        (InputImageRejected("bad image", status=400), ["refused an input image", "another image"], False),
        (BadRequest("size is invalid", status=400), ["rejected the request as invalid", "size is invalid"], False),
        (
            BadRequest("cannot parse body", status=400, actor=Actor.OPERATOR),
            ["rejected the bot's request", "not something you can fix", OPERATOR],
            False,
        ),
        (Unauthorized("no", status=401), ["refused the bot's API key", "GATEWAY_API_KEY", OPERATOR], False),
        (Unauthorized("blocked", status=403), ["blocked its account", OPERATOR], False),
        (QuotaExhausted("quota", status=429), ["out of credits", OPERATOR, "top it up"], True),
        (AccountOverdue("Arrearage", status=400), ["upstream account is overdue", OPERATOR], True),
        (ModelUnavailable("no channel", status=503), ["no available channel for this model", OPERATOR], True),
        (RateLimited("slow down", status=429), ["rate limiting", "too many requests", "Press Retry"], True),
        (ServerError("boom", status=502), ["having trouble", "Press Retry"], True),
        (GatewayUnavailable("refused"), ["having trouble"], True),
        (GatewayTimeout("late"), ["did not finish in time"], True),
        (GatewayTimeout("upstream timed out", status=504), ["did not finish in time"], True),
        (MalformedResponse("image 1 of 2 is broken: it is truncated"), ["malformed answer", "it is truncated"], True),
        (ImageDownloadFailed("404"), ["could not be downloaded", "no usable image"], True),
        (GatewayError("odd", status=418), ["gateway failed", "HTTP 418", "bot's operator"], True),
        (SourceImageGone(SourceProblem.MESSAGE_GONE), ["can't make this variation"], False),
        (InputsMissing(["ab" * 32]), ["no longer stored", "`/edit`"], False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else None,
)
def test_each_failure_kind_has_its_own_message(error: BaseException, phrases: list[str], retry: bool) -> None:
    failure = describe(error, "en-US")
    for phrase in phrases:
        assert phrase in failure.text
    assert failure.retryable is retry
    assert "error id" not in failure.text


def test_a_rate_limit_never_speaks_of_credits() -> None:
    text = describe(RateLimited("Requests rate limit exceeded", status=429, code="Throttling.RateQuota"), "en-US").text
    assert "rate limit" in text and "credit" not in text.casefold() and "operator" not in text


@pytest.mark.parametrize(
    "row", [row for row in ROWS if row is not UNKNOWN], ids=lambda row: f"{row.code or row.phrase or row.statuses}"
)
def test_every_row_of_the_error_table_gets_a_specific_message(row: ErrorRow) -> None:
    error = row.kind("message", status=next(iter(row.statuses), 400), actor=row.actor, retryable=row.retryable)
    text = describe(error, "en-US").text
    assert "does not know" not in text and "error id" not in text
    assert (OPERATOR in text) is (row.actor is Actor.OPERATOR)


def test_gateway_request_id_is_quoted_for_support() -> None:
    failure = describe(ServerError("upstream failed (request id: req-123)", status=500), "en-US")
    assert "`req-123`" in failure.text


def test_unexpected_errors_show_the_logged_id() -> None:
    failure = describe(KeyError("x"), "en-US", error_id="abcd1234")
    assert "error id `abcd1234`" in failure.text and failure.retryable
