"""Prometheus metrics, and the small HTTP server that serves them with ``/healthz``.

One :class:`Metrics` per bot, with its own registry (several bots may share a process, as in the
tests), passed to whoever counts. Labels are closed sets (models, actions, outcomes, kinds,
HTTP statuses), never user, guild or channel ids. The server runs on the bot's own event loop.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from enum import StrEnum
from types import SimpleNamespace
from typing import Protocol

import aiohttp
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.aiohttp import make_aiohttp_handler

log = logging.getLogger(__name__)

PREFIX = "imagine"
WAIT_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
RUN_BUCKETS = (2, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600)
REQUEST_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)
QUEUE_STATES = ("queued", "running")


class JobOutcome(StrEnum):
    """How a job ended."""

    DELIVERED = "delivered"
    FAILED = "failed"  # a gateway error, explained to the member
    ERROR = "error"  # unexpected: logged with a traceback and an error id
    UNDELIVERABLE = "undeliverable"  # made, but could not be posted (kept on disk)
    CANCELLED = "cancelled"


class GatewayObserver(Protocol):
    """What the gateway client reports (it takes one optionally, and knows nothing else of the app)."""

    def gateway_request(self, endpoint: str, status: str, seconds: float) -> None:
        """One HTTP exchange ended: ``status`` is the HTTP status, or the kind of connection failure."""

    def gateway_retry(self, endpoint: str, error: str) -> None:
        """A failed request is being repeated; ``error`` names the error class."""


class Metrics:
    """Every metric the bot exports, in one registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.jobs_accepted = Counter(
            f"{PREFIX}_jobs_accepted", "Jobs accepted into the queue.", ["model", "action"], registry=registry
        )
        self.jobs_finished = Counter(
            f"{PREFIX}_jobs_finished", "Jobs that ended, by outcome.", ["model", "action", "outcome"], registry=registry
        )
        self.queue_depth = Gauge(
            f"{PREFIX}_queue_depth", "Jobs waiting or running, read from the database.", ["state"], registry=registry
        )
        self.job_wait = Histogram(
            f"{PREFIX}_job_wait_seconds",
            "Time from acceptance to start.",
            ["model"],
            buckets=WAIT_BUCKETS,
            registry=registry,
        )
        self.job_run = Histogram(
            f"{PREFIX}_job_run_seconds",
            "Time from start to delivery or failure.",
            ["model"],
            buckets=RUN_BUCKETS,
            registry=registry,
        )
        self.gateway_requests = Counter(
            f"{PREFIX}_gateway_requests",
            "HTTP requests to the image gateway (and its image links), by status.",
            ["endpoint", "status"],
            registry=registry,
        )
        self.gateway_request_duration = Histogram(
            f"{PREFIX}_gateway_request_duration_seconds",
            "Duration of one gateway HTTP request.",
            ["endpoint"],
            buckets=REQUEST_BUCKETS,
            registry=registry,
        )
        self.gateway_retries = Counter(
            f"{PREFIX}_gateway_retries",
            "Gateway requests repeated after a failure.",
            ["endpoint", "error"],
            registry=registry,
        )
        self.images_generated = Counter(
            f"{PREFIX}_images_generated", "Images received from the gateway.", ["model"], registry=registry
        )
        self.upload_reencodes = Counter(
            f"{PREFIX}_upload_reencodes",
            "Images re-encoded (or downscaled) to fit Discord's upload limit.",
            ["model"],
            registry=registry,
        )
        self.refusals = Counter(f"{PREFIX}_refusals", "Jobs refused, by kind.", ["kind"], registry=registry)
        self.discord_responses = Counter(
            f"{PREFIX}_discord_http_responses",
            "Discord HTTP responses, by status ('error': no response).",
            ["method", "status"],
            registry=registry,
        )
        self.purged = Counter(
            f"{PREFIX}_retention_purged",
            "Job records and undelivered results purged by retention.",
            ["kind"],
            registry=registry,
        )

    # ------------------------------------------------------------------ jobs
    def job_accepted(self, model: str, action: str) -> None:
        """Count a job written to the queue."""
        self.jobs_accepted.labels(model, action).inc()

    def job_started(self, model: str, waited: float) -> None:
        """Record how long a job waited before it started."""
        self.job_wait.labels(model).observe(max(waited, 0.0))

    def job_finished(self, model: str, action: str, outcome: JobOutcome, *, ran: float | None = None) -> None:
        """Count a job's end; ``ran``: seconds it ran in this process (``None`` if it never started here)."""
        self.jobs_finished.labels(model, action, outcome).inc()
        if ran is not None:
            self.job_run.labels(model).observe(max(ran, 0.0))

    def images_made(self, model: str, count: int, reencoded: int) -> None:
        """Count the images a job got, and how many had to be re-encoded to fit the upload limit."""
        self.images_generated.labels(model).inc(count)
        self.upload_reencodes.labels(model).inc(reencoded)

    def refused(self, kind: str) -> None:
        """Count a job that was not accepted."""
        self.refusals.labels(kind).inc()

    def set_queue_depth(self, counts: Mapping[str, int]) -> None:
        """Set the queue gauges from counts by job status."""
        for state in QUEUE_STATES:
            self.queue_depth.labels(state).set(counts.get(state, 0))

    def retention_purged(self, *, records: int, undelivered: int) -> None:
        """Count what one retention run removed."""
        self.purged.labels("records").inc(records)
        self.purged.labels("undelivered").inc(undelivered)

    # ------------------------------------------------------------------ gateway (GatewayObserver)
    def gateway_request(self, endpoint: str, status: str, seconds: float) -> None:
        """Count one gateway HTTP exchange and its duration."""
        self.gateway_requests.labels(endpoint, status).inc()
        self.gateway_request_duration.labels(endpoint).observe(seconds)

    def gateway_retry(self, endpoint: str, error: str) -> None:
        """Count a repeated gateway request."""
        self.gateway_retries.labels(endpoint, error).inc()

    # ------------------------------------------------------------------ Discord
    def discord_trace(self) -> aiohttp.TraceConfig:
        """A trace for discord.py's HTTP session (``Client(http_trace=...)``) that counts its responses."""
        trace = aiohttp.TraceConfig()
        trace.on_request_end.append(self._discord_response)
        trace.on_request_exception.append(self._discord_failure)
        trace.freeze()
        return trace

    async def _discord_response(
        self, session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        self.discord_responses.labels(params.method, str(params.response.status)).inc()

    async def _discord_failure(
        self, session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestExceptionParams
    ) -> None:
        self.discord_responses.labels(params.method, "error").inc()


@asynccontextmanager
async def serve_metrics(
    metrics: Metrics,
    *,
    host: str,
    port: int,
    healthy: Callable[[], bool],
    job_counts: Callable[[], Awaitable[Mapping[str, int]]],
) -> AsyncIterator[None]:
    """Serve ``/metrics`` and ``/healthz`` on ``host:port`` until the block ends.

    The queue gauges are read from the database at each scrape, so every process sharing it
    reports the same figures.
    """
    export = make_aiohttp_handler(metrics.registry)

    async def scrape(request: web.Request) -> web.StreamResponse:
        try:
            metrics.set_queue_depth(await job_counts())
        except Exception:  # the other metrics are still worth serving
            log.warning("metrics: could not count jobs in the database", exc_info=True)
        return await export(request)

    async def health(request: web.Request) -> web.StreamResponse:
        if healthy():
            return web.Response(text="ok\n")
        return web.Response(status=503, text="unavailable: not connected to Discord, or the event loop is stalled\n")

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    app.router.add_get("/healthz", health)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("serving /metrics and /healthz on %s:%d", host, port)
        yield
    finally:
        await runner.cleanup()
