"""Every error answer of the gateway family and its upstream, as data: what it is, retried or not, who acts.

docs/gateway.md, "Errors". A code may arrive in ``error.code``, in ``error.type`` or only inside
``error.message``, depending on the gateway build. Codes are matched as whole identifiers
(``Throttling.RateQuota``, ``insufficient_user_quota``), never as substrings: the word "quota"
alone means nothing, and ``Throttling.*Quota`` is a *rate* quota. An unknown dotted sub-code
falls back to its parent (``Throttling.Foo`` → ``Throttling``); an unknown code to its status.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .errors import (
    AccountOverdue,
    Actor,
    BadRequest,
    ContentRejected,
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

MEMBER, OPERATOR = Actor.MEMBER, Actor.OPERATOR
RETRY, NO_RETRY = True, False
_FIVE_XX = frozenset({500, 502, 503, 504})
_MODERATION_STATUSES = frozenset({400, 422})
_OUTPUT = "output data"  # Alibaba's "Output data may contain inappropriate content."
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*")
_SCANNED = 10_000  # characters of a message searched for codes: a hostile answer can be long


@dataclass(frozen=True, slots=True)
class ErrorRow:
    """One kind of error answer: how to recognise it and what it means."""

    kind: type[GatewayError]
    retryable: bool  # the client may send the same request again (bot/gateway/retry.py decides how often)
    actor: Actor
    code: str | None = None  # a code, wherever it appears in the error (case-insensitive, whole identifier)
    statuses: frozenset[int] = frozenset()  # the row applies only to these statuses; empty: any
    phrase: str | None = None  # casefolded words the message must contain as well

    def accepts(self, status: int, folded_message: str) -> bool:
        """Whether the status and message fit this row (the code is matched by the caller)."""
        return (not self.statuses or status in self.statuses) and (self.phrase is None or self.phrase in folded_message)


CODE_ROWS: tuple[ErrorRow, ...] = (
    # Rate limits: retried with backoff. "Quota" in the upstream's Throttling codes is a rate quota.
    ErrorRow(RateLimited, RETRY, MEMBER, code="Throttling"),
    ErrorRow(RateLimited, RETRY, MEMBER, code="Throttling.RateQuota"),
    ErrorRow(RateLimited, RETRY, MEMBER, code="Throttling.AllocationQuota"),
    ErrorRow(RateLimited, RETRY, MEMBER, code="rate_limit_exceeded"),
    # Money: only the gateway's own credit codes mean the credits are gone.
    ErrorRow(QuotaExhausted, NO_RETRY, OPERATOR, code="insufficient_user_quota"),
    ErrorRow(QuotaExhausted, NO_RETRY, OPERATOR, code="pre_consume_token_quota_failed"),
    ErrorRow(AccountOverdue, NO_RETRY, OPERATOR, code="Arrearage"),
    # Moderation: the prompt, or the image the model produced ("Output data ...").
    ErrorRow(OutputRejected, NO_RETRY, MEMBER, code="DataInspectionFailed", phrase=_OUTPUT),
    ErrorRow(ContentRejected, NO_RETRY, MEMBER, code="DataInspectionFailed"),
    ErrorRow(OutputRejected, NO_RETRY, MEMBER, code="content_policy_violation", phrase=_OUTPUT),
    ErrorRow(ContentRejected, NO_RETRY, MEMBER, code="content_policy_violation"),
    ErrorRow(IPInfringement, NO_RETRY, MEMBER, code="IPInfringementSuspect"),
    ErrorRow(InputImageRejected, NO_RETRY, MEMBER, code="InvalidParameter.DataInspection"),
    # Invalid requests: the member's options, or a body the bot should never have sent.
    ErrorRow(BadRequest, NO_RETRY, MEMBER, code="InvalidParameter"),
    ErrorRow(BadRequest, NO_RETRY, MEMBER, code="invalid_request"),
    ErrorRow(BadRequest, NO_RETRY, OPERATOR, code="bad_request_body"),
    ErrorRow(BadRequest, NO_RETRY, OPERATOR, code="read_request_body_failed"),
    # Keys and accounts.
    ErrorRow(Unauthorized, NO_RETRY, OPERATOR, code="InvalidApiKey"),
    ErrorRow(Unauthorized, NO_RETRY, OPERATOR, code="AccessDenied"),
    ErrorRow(Unauthorized, NO_RETRY, OPERATOR, code="access_denied"),
    # No channel serves the model: configuration, not a passing failure.
    ErrorRow(ModelUnavailable, NO_RETRY, OPERATOR, code="model_not_found"),
    ErrorRow(ModelUnavailable, NO_RETRY, OPERATOR, code="get_channel_failed"),
    # Failures of the gateway or the upstream: an error answer is not billed, so a bounded retry is safe.
    ErrorRow(ServerError, RETRY, MEMBER, code="InternalError"),
    ErrorRow(ServerError, RETRY, MEMBER, code="upstream_unavailable"),
    ErrorRow(ServerError, RETRY, MEMBER, code="gen_relay_info_failed"),
    # A wrapper code for "the upstream answered badly": it means something only with a 5xx.
    ErrorRow(ServerError, RETRY, MEMBER, code="bad_response_status_code", statuses=_FIVE_XX),
    ErrorRow(GatewayTimeout, RETRY, MEMBER, code="upstream_timeout"),
    ErrorRow(GatewayTimeout, RETRY, MEMBER, code="RequestTimeOut"),
)

PHRASE_ROWS: tuple[ErrorRow, ...] = (
    # Builds that pass the upstream's moderation message through without any code.
    ErrorRow(OutputRejected, NO_RETRY, MEMBER, statuses=_MODERATION_STATUSES, phrase=f"{_OUTPUT} may contain"),
    ErrorRow(ContentRejected, NO_RETRY, MEMBER, statuses=_MODERATION_STATUSES, phrase="inappropriate content"),
)

STATUS_ROWS: tuple[ErrorRow, ...] = (
    # An unknown code (or none): the status decides.
    ErrorRow(BadRequest, NO_RETRY, MEMBER, statuses=frozenset({400})),
    ErrorRow(Unauthorized, NO_RETRY, OPERATOR, statuses=frozenset({401})),
    ErrorRow(Unauthorized, NO_RETRY, OPERATOR, statuses=frozenset({403})),
    ErrorRow(BadRequest, NO_RETRY, OPERATOR, statuses=frozenset({404})),  # a wrong GATEWAY_BASE_URL
    ErrorRow(GatewayTimeout, RETRY, MEMBER, statuses=frozenset({408})),
    ErrorRow(BadRequest, NO_RETRY, OPERATOR, statuses=frozenset({413})),  # the bot shrinks inputs: never expected
    ErrorRow(ContentRejected, NO_RETRY, MEMBER, statuses=frozenset({422})),
    ErrorRow(RateLimited, RETRY, MEMBER, statuses=frozenset({429})),
    ErrorRow(ServerError, RETRY, MEMBER, statuses=frozenset({500})),
    ErrorRow(ServerError, RETRY, MEMBER, statuses=frozenset({502})),
    ErrorRow(ServerError, RETRY, MEMBER, statuses=frozenset({503})),
    ErrorRow(GatewayTimeout, RETRY, MEMBER, statuses=frozenset({504})),
)

# Any other status (402, 409, 501, a 3xx...): not the documented contract, so nothing is retried.
UNKNOWN = ErrorRow(GatewayError, NO_RETRY, OPERATOR)

ROWS: tuple[ErrorRow, ...] = (*CODE_ROWS, *PHRASE_ROWS, *STATUS_ROWS, UNKNOWN)


def _index(rows: tuple[ErrorRow, ...]) -> Mapping[str, tuple[ErrorRow, ...]]:
    index: dict[str, list[ErrorRow]] = {}
    for row in rows:
        if row.code is not None:
            index.setdefault(row.code.casefold(), []).append(row)
    return MappingProxyType({code: tuple(found) for code, found in index.items()})


_BY_CODE = _index(CODE_ROWS)


@dataclass(frozen=True, slots=True)
class Match:
    """The row an answer fits, and the code that decided it (as the gateway spelled it)."""

    row: ErrorRow
    code: str | None


def classify(status: int, code: str | None, type_: str | None, message: str) -> Match:
    """Find the row for an error answer.

    Precedence: a known code in ``error.code``, then in ``error.type``, then the first one in the
    message; then a moderation phrase; then the status; then :data:`UNKNOWN`.
    """
    folded = message.casefold()
    for candidate in _candidates(code, type_, message):
        row = _row_for_code(candidate, status, folded)
        if row is not None:
            return Match(row, candidate)
    for row in (*PHRASE_ROWS, *STATUS_ROWS):
        if row.accepts(status, folded):
            return Match(row, code)
    return Match(UNKNOWN, code)


def error_from_response(status: int, body: Any, retry_after: float | None = None) -> GatewayError:
    """Map an HTTP status and the gateway's error body to the matching exception."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {}
    message = str(error.get("message") or f"HTTP {status}")
    code, type_ = _text(error.get("code")), _text(error.get("type"))
    match = classify(status, code, type_, message)
    row = match.row
    options: dict[str, Any] = {"status": status, "code": match.code, "actor": row.actor, "retryable": row.retryable}
    if issubclass(row.kind, RateLimited):
        return row.kind(message, retry_after=retry_after, **options)
    return row.kind(message, **options)


def _text(value: object) -> str | None:
    # new-api builds send codes as strings, sometimes as numbers or "".
    return str(value) if value is not None and value != "" else None


def _candidates(code: str | None, type_: str | None, message: str) -> Iterator[str]:
    for source in (code or "", type_ or "", message[:_SCANNED]):
        yield from _IDENTIFIER.findall(source)


def _row_for_code(candidate: str, status: int, folded_message: str) -> ErrorRow | None:
    name = candidate.casefold()
    while name:
        for row in _BY_CODE.get(name, ()):
            if row.accepts(status, folded_message):
                return row
        name = name.rpartition(".")[0]  # an unknown sub-code means what its parent means
    return None
