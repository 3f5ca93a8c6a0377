"""The retry policy, in one place. Generation costs money: retry only what is safe."""

from __future__ import annotations

import random

from .errors import GatewayError, RateLimited

MAX_ATTEMPTS = 3  # first try included
BASE_DELAY = 1.0  # seconds; doubled each attempt
MAX_DELAY = 20.0
RETRY_AFTER_CAP = 60.0  # never sleep longer than this on a server's say-so


def should_retry(error: GatewayError, attempt: int) -> bool:
    """Whether a failed attempt (1-based) may be repeated.

    Only failures that produced no image are retried: what the error table
    (``bot/gateway/error_table.py``) marks retryable, such as rate limits and 5xx answers, and
    connections that never reached the gateway. Our own timeout is not: the gateway may still be
    generating (and billing) the first request. Credits, moderation and invalid requests never are.
    """
    return attempt < MAX_ATTEMPTS and error.retryable


def backoff_delay(error: GatewayError, attempt: int, *, rng: random.Random | None = None) -> float:
    """Seconds to wait before the next attempt: ``Retry-After`` if given, else jittered backoff."""
    if isinstance(error, RateLimited) and error.retry_after is not None:
        return min(max(error.retry_after, 0.0), RETRY_AFTER_CAP)
    ceiling = min(BASE_DELAY * 2 ** (attempt - 1), MAX_DELAY)
    return (rng or random).uniform(ceiling / 2, ceiling)  # "equal jitter"
