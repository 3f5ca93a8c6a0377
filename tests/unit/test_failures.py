"""The one table from failure to user message: each kind is specific; unexpected ones carry an id."""

from __future__ import annotations

import pytest

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
from bot.ui.failures import describe


@pytest.mark.parametrize(
    ("error", "phrase", "retry"),
    [
        (ContentRejected("Input data may contain inappropriate content."), "refused this prompt", False),
        (ContentRejected("Output data may contain inappropriate content."), "refused the image it produced", True),
        (BadRequest("size is invalid", status=400), "rejected the request as invalid", False),
        (Unauthorized("no", status=401), "GATEWAY_API_KEY", False),
        (QuotaExhausted("quota", status=429), "out of credits", True),
        (RateLimited("slow down", status=429), "rate limiting", True),
        (ServerError("boom", status=502), "having trouble", True),
        (GatewayUnavailable("refused"), "having trouble", True),
        (GatewayTimeout("late"), "did not finish in time", True),
        (MalformedResponse("bad"), "no usable image", True),
        (ImageDownloadFailed("404"), "no usable image", True),
        (GatewayError("odd", status=418), "gateway failed", True),
        (SourceImageGone("the message with the original image is gone"), "can't make this variation", False),
    ],
)
def test_each_failure_kind_has_its_own_message(error: BaseException, phrase: str, retry: bool) -> None:
    failure = describe(error)
    assert phrase in failure.text and failure.retryable is retry
    assert "error id" not in failure.text


def test_gateway_request_id_is_quoted_for_support() -> None:
    failure = describe(ServerError("upstream failed (request id: req-123)", status=500))
    assert "`req-123`" in failure.text


def test_unexpected_errors_show_the_logged_id() -> None:
    failure = describe(KeyError("x"), error_id="abcd1234")
    assert "error id `abcd1234`" in failure.text and failure.retryable
