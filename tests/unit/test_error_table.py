"""Every error answer of docs/gateway.md ("Errors"), sent by the local gateway, read by the real client.

The expectations here are written from the contract, not from the bot's table: kind, whether the
client sent the request again (counted at the fake), and who must act.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
import pytest

from bot.gateway import (
    AccountOverdue,
    Actor,
    BadRequest,
    ContentRejected,
    GatewayClient,
    GatewayError,
    GatewayTimeout,
    InputImageRejected,
    IPInfringement,
    ModelUnavailable,
    OutputRejected,
    QuotaExhausted,
    RateLimited,
    ServerError,
    Unauthorized,
)
from bot.gateway.error_table import ROWS, classify
from bot.gateway.retry import MAX_ATTEMPTS
from tests.fakes.gateway import API_KEY, FakeGateway
from tests.unit.test_gateway_client import REQUEST

MEMBER, OPERATOR = Actor.MEMBER, Actor.OPERATOR
INPUT_MODERATION = "Input data may contain inappropriate content."
OUTPUT_MODERATION = "Output data may contain inappropriate content."


@dataclass(frozen=True)
class Case:
    """One error answer and what it must become."""

    status: int
    code: str | int | None  # some builds send a number
    message: str
    kind: type[GatewayError]
    retried: bool
    actor: Actor
    type_: str | None = None


# Messages as the upstream words them: the words "quota" and "denied" must not mislead.
RATE_QUOTA = "Requests rate limit exceeded, please try again later."
ALLOCATION_QUOTA = "Allocated quota exceeded, please increase your quota limit."
ARREARAGE = "Access denied, please make sure your account is in good standing."
IP = "Input data is suspected of being involved in IP infringement."
BAD_IMAGE = "The media format is not supported or incorrect for the data inspection."
WRAPPED_RATE_QUOTA = 'upstream: {"code":"Throttling.RateQuota","message":"rate"}'
INTERNAL = "An internal error has occured, please try again later."

# Every code the contract names, with its status.
CODES = [
    Case(429, "Throttling", "Requests throttling triggered.", RateLimited, True, MEMBER),
    Case(429, "Throttling.RateQuota", RATE_QUOTA, RateLimited, True, MEMBER),
    Case(429, "Throttling.AllocationQuota", ALLOCATION_QUOTA, RateLimited, True, MEMBER),
    Case(429, "rate_limit_exceeded", "rate limit exceeded", RateLimited, True, MEMBER),
    Case(429, "insufficient_user_quota", "user quota is not enough", QuotaExhausted, False, OPERATOR),
    Case(403, "pre_consume_token_quota_failed", "pre-consume token quota failed", QuotaExhausted, False, OPERATOR),
    Case(400, "Arrearage", ARREARAGE, AccountOverdue, False, OPERATOR),
    Case(400, "DataInspectionFailed", INPUT_MODERATION, ContentRejected, False, MEMBER),
    Case(400, "DataInspectionFailed", OUTPUT_MODERATION, OutputRejected, False, MEMBER),
    Case(422, "content_policy_violation", "content policy violation", ContentRejected, False, MEMBER),
    Case(422, "content_policy_violation", OUTPUT_MODERATION, OutputRejected, False, MEMBER),
    Case(400, "IPInfringementSuspect", IP, IPInfringement, False, MEMBER),
    Case(400, "InvalidParameter.DataInspection", BAD_IMAGE, InputImageRejected, False, MEMBER),
    Case(400, "InvalidParameter", "size must be one of the supported values", BadRequest, False, MEMBER),
    Case(400, "invalid_request", "invalid request", BadRequest, False, MEMBER),
    Case(400, "bad_request_body", "bad request body", BadRequest, False, OPERATOR),
    Case(400, "read_request_body_failed", "read request body failed", BadRequest, False, OPERATOR),
    Case(401, "InvalidApiKey", "Invalid API-key provided.", Unauthorized, False, OPERATOR),
    Case(403, "AccessDenied", "Access denied.", Unauthorized, False, OPERATOR),
    Case(403, "access_denied", "access denied", Unauthorized, False, OPERATOR),
    Case(503, "model_not_found", "no available channel for model wan2.7-image-pro", ModelUnavailable, False, OPERATOR),
    Case(503, "get_channel_failed", "get channel failed", ModelUnavailable, False, OPERATOR),
    Case(500, "InternalError", INTERNAL, ServerError, True, MEMBER),
    Case(503, "upstream_unavailable", "upstream unavailable", ServerError, True, MEMBER),
    Case(500, "gen_relay_info_failed", "gen relay info failed", ServerError, True, MEMBER),
    Case(502, "bad_response_status_code", "bad response status code 502", ServerError, True, MEMBER),
    Case(504, "upstream_timeout", "upstream timed out", GatewayTimeout, True, MEMBER),
    Case(408, "RequestTimeOut", "Request timed out, please try again later.", GatewayTimeout, True, MEMBER),
]

# An unknown code (or none): the status decides.
STATUSES = [
    Case(400, "SomethingNew", "new", BadRequest, False, MEMBER),
    Case(401, None, "Invalid token", Unauthorized, False, OPERATOR),
    Case(403, "SomethingNew", "forbidden", Unauthorized, False, OPERATOR),
    Case(404, None, "Not Found", BadRequest, False, OPERATOR),
    Case(408, None, "Request Timeout", GatewayTimeout, True, MEMBER),
    Case(413, None, "Request Entity Too Large", BadRequest, False, OPERATOR),
    Case(422, "SomethingNew", "unprocessable", ContentRejected, False, MEMBER),
    Case(429, "SomethingNew", "Too Many Requests", RateLimited, True, MEMBER),
    Case(500, None, "Internal Server Error", ServerError, True, MEMBER),
    Case(502, None, "Bad Gateway", ServerError, True, MEMBER),
    Case(503, None, "Service Unavailable", ServerError, True, MEMBER),
    Case(504, None, "Gateway Timeout", GatewayTimeout, True, MEMBER),
    Case(418, None, "I'm a teapot", GatewayError, False, OPERATOR),
    Case(501, "SomethingNew", "Not Implemented", GatewayError, False, OPERATOR),
]

# No code at all, only the upstream's moderation sentence.
PHRASES = [
    Case(400, None, INPUT_MODERATION, ContentRejected, False, MEMBER),
    Case(400, None, OUTPUT_MODERATION, OutputRejected, False, MEMBER),
    Case(422, None, OUTPUT_MODERATION, OutputRejected, False, MEMBER),
]

# Read robustly but precisely.
PRECISION = [
    # The live bug: a rate quota is not a credit quota, whatever words the message uses.
    Case(429, None, ALLOCATION_QUOTA, RateLimited, True, MEMBER),
    Case(429, "quota_exceeded", "quota exceeded", RateLimited, True, MEMBER),
    Case(429, "Throttling.SomethingNew", "throttled", RateLimited, True, MEMBER),  # a sub-code means its parent
    Case(403, "insufficient_user_quota", "user quota is not enough", QuotaExhausted, False, OPERATOR),
    # A wrapper code means nothing by itself: the upstream's code inside the message decides.
    Case(429, "bad_response_status_code", WRAPPED_RATE_QUOTA, RateLimited, True, MEMBER),
    Case(400, "bad_response_status_code", "bad response status code 400", BadRequest, False, MEMBER),
    # error.code wins over a code mentioned in the message.
    Case(400, "InvalidParameter", "rejected, see DataInspectionFailed docs", BadRequest, False, MEMBER),
    # Words are not codes: the old "sensitive" marker made this a moderation refusal.
    Case(400, "invalid_parameter", "field names are case-sensitive", BadRequest, False, MEMBER),
    Case(400, None, "Access denied, overdue payment", BadRequest, False, MEMBER),
    Case(429, 429, "numeric code", RateLimited, True, MEMBER),
    Case(429, "", "empty code", RateLimited, True, MEMBER),
    Case(400, "arrearage", "lower-case code", AccountOverdue, False, OPERATOR),
]


def make_client(gateway: FakeGateway, http: aiohttp.ClientSession) -> tuple[GatewayClient, list[float]]:
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    return GatewayClient(http, base_url=gateway.base_url, api_key=API_KEY, sleep=record), sleeps


def placements(cases: list[Case]) -> list[object]:
    """Each code in ``error.code``, in ``error.type``, and only inside ``error.message``."""
    out: list[object] = []
    for case in cases:
        out.append(pytest.param(case, id=f"{case.status}-{case.code}-code-{case.kind.__name__}"))
        if case.code:
            as_type = Case(case.status, None, case.message, case.kind, case.retried, case.actor, type_=case.code)
            quoted = f'{{"code":"{case.code}","message":"{case.message}"}} (request id: fake-req)'
            in_message = Case(case.status, None, quoted, case.kind, case.retried, case.actor)
            out.append(pytest.param(as_type, id=f"{case.status}-{case.code}-type-{case.kind.__name__}"))
            out.append(pytest.param(in_message, id=f"{case.status}-{case.code}-message-{case.kind.__name__}"))
    return out


def ids(cases: list[Case]) -> list[object]:
    return [pytest.param(case, id=f"{case.status}-{case.code}-{case.message[:20]}") for case in cases]


@pytest.mark.parametrize("case", [*placements(CODES), *ids(STATUSES), *ids(PHRASES), *ids(PRECISION)])
async def test_each_error_answer_is_read_right(
    fake_gateway: FakeGateway, http: aiohttp.ClientSession, case: Case
) -> None:
    client, sleeps = make_client(fake_gateway, http)
    fake_gateway.fail_next_with(case.status, case.code, case.message, case.type_ or "upstream_error", times=10)
    with pytest.raises(GatewayError) as info:
        await client.generate(REQUEST)
    error = info.value
    assert type(error) is case.kind
    assert error.status == case.status and error.actor is case.actor and error.retryable is case.retried
    attempts = MAX_ATTEMPTS if case.retried else 1
    assert len(fake_gateway.requests) == attempts and len(sleeps) == attempts - 1


async def test_a_rate_quota_then_success_delivers(fake_gateway: FakeGateway, http: aiohttp.ClientSession) -> None:
    client, sleeps = make_client(fake_gateway, http)
    fake_gateway.fail_next_with(429, "Throttling.RateQuota", "Requests rate limit exceeded", "ali_error")
    result = await client.generate(REQUEST)
    assert len(result.images) == REQUEST.n and len(fake_gateway.requests) == 2 and len(sleeps) == 1


async def test_retry_after_is_honoured_for_a_throttling_code(
    fake_gateway: FakeGateway, http: aiohttp.ClientSession
) -> None:
    client, sleeps = make_client(fake_gateway, http)
    fake_gateway.fail_next_with(429, "Throttling", "throttled", retry_after="7")
    await client.generate(REQUEST)
    assert sleeps == [7.0]


def test_the_cases_reach_every_row_of_the_table() -> None:
    """A row without a case here would be untested: every row must be some case's answer."""
    reached = set()
    for param in [*placements(CODES), *ids(STATUSES), *ids(PHRASES), *ids(PRECISION)]:
        (case,) = param.values  # type: ignore[attr-defined]
        code = None if case.code is None else str(case.code)
        reached.add(classify(case.status, code, case.type_, case.message).row)
    missing = [row for row in ROWS if row not in reached]
    assert missing == []
