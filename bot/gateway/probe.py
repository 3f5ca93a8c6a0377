"""Is the gateway there, and does it accept our key? Asked without generating anything.

The probe posts a generation body that is invalid on its face — ``n`` is not a number and the
size is zero pixels — so the gateway refuses it while reading the request, before any image
is made or credit spent. Authentication comes first, so the answer tells the key apart:
400/422 (the key was accepted, the body refused) from 401/403 (the key was refused).

A body with an unknown model would not do: gateways route by model before they validate, and
answer "no channel for this model" with a 503 that looks like an outage. And ``n: 0`` would not
do either: some gateways read a zero ``n`` as "not given" and generate one image.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .error_table import error_from_response
from .errors import QuotaExhausted

PROBE_TIMEOUT = 15.0  # seconds: refusing a malformed body is quick; a generation timeout would hide a hang
PROBE_MODEL = "qwen-image-2.0-pro"  # a real model, so the request is routed and then refused as invalid
PROBE_BODY: dict[str, Any] = {
    "model": PROBE_MODEL,
    "input": {"messages": [{"role": "user", "content": [{"text": "connectivity check"}]}]},
    "size": "0*0",
    "n": "none",
    "seed": 0,
    "response_format": "url",
}
_DETAIL_LIMIT = 200


class ProbeOutcome(StrEnum):
    """What the gateway's answer to the probe says."""

    KEY_ACCEPTED = "key_accepted"  # 400/422: authenticated, then the invalid body refused
    RATE_LIMITED = "rate_limited"  # 429: authenticated, but asked to slow down
    QUOTA_EXHAUSTED = "quota_exhausted"  # 429 with a quota code: the key works, its credits are spent
    KEY_REFUSED = "key_refused"  # 401/403
    NOT_FOUND = "not_found"  # 404/405: no generation endpoint at this base URL
    SERVER_ERROR = "server_error"  # 5xx, or the connection broke mid-answer
    UNREACHABLE = "unreachable"  # no connection at all
    TIMEOUT = "timeout"  # no answer within the probe's time limit
    UNEXPECTED = "unexpected"  # anything else, 200 included: the gateway did not refuse an invalid body


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The gateway's answer to the probe: what it means, its status, how long it took, and its message."""

    outcome: ProbeOutcome
    status: int | None
    latency: float  # seconds from sending to the end of the answer (or the failure)
    detail: str = ""  # the gateway's error message, or why no answer came

    @property
    def key_accepted(self) -> bool:
        """The gateway answered and authenticated the key (it can generate, credits permitting)."""
        return self.outcome in (ProbeOutcome.KEY_ACCEPTED, ProbeOutcome.RATE_LIMITED)

    @classmethod
    def from_answer(cls, status: int, text: str, latency: float) -> ProbeResult:
        """Read the gateway's answer to the probe body."""
        message = _error_message(text)
        if status in (400, 422):
            outcome = ProbeOutcome.KEY_ACCEPTED
        elif status in (401, 403):
            outcome = ProbeOutcome.KEY_REFUSED
        elif status == 429:  # the same reading as for a generation: a rate limit is not a quota
            quota = isinstance(error_from_response(status, _json_or_none(text)), QuotaExhausted)
            outcome = ProbeOutcome.QUOTA_EXHAUSTED if quota else ProbeOutcome.RATE_LIMITED
        elif status in (404, 405):
            outcome = ProbeOutcome.NOT_FOUND
        elif status >= 500:
            outcome = ProbeOutcome.SERVER_ERROR
        else:
            outcome = ProbeOutcome.UNEXPECTED
        return cls(outcome, status, latency, message[:_DETAIL_LIMIT])


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _error_message(text: str) -> str:
    """``error.message`` of an OpenAI-style error body (the first line of a body that is not JSON)."""
    body = _json_or_none(text)
    if body is None:
        return text.strip().splitlines()[0] if text.strip() else ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or "")
    return error if isinstance(error, str) else ""
