"""Composition: a process's job engine, wired to the gateway, the database and Discord presenters.

The bot process and worker processes build their engine here, so both run jobs identically.
"""

from __future__ import annotations

import discord

from bot.gateway import GatewayClient
from bot.jobs import JobEngine
from bot.jobs.fairness import Limits
from bot.jobs.producer import Producer
from bot.metrics import Metrics
from bot.settings import Settings
from bot.storage import Storage
from bot.storage.database import Dialect
from bot.ui.presenter import DiscordPresenter


def limits_from(settings: Settings) -> Limits:
    """The job limits the operator configured."""
    return Limits(
        global_running=settings.max_concurrent_jobs,
        user_running=settings.max_running_per_user,
        user_pending=settings.max_pending_per_user,
        server_running=settings.max_jobs_per_server,
    )


def make_engine(
    client: discord.Client,
    settings: Settings,
    storage: Storage,
    gateway: GatewayClient,
    metrics: Metrics | None = None,
) -> JobEngine:
    """The job engine of one process, presenting on Discord through ``client``'s REST API."""
    return JobEngine(
        store=storage.jobs,
        policies=storage.policies,
        ceilings=settings.ceilings,
        capacity=settings.max_jobs_per_process,
        producer=Producer(gateway, storage.inputs),
        presenter=DiscordPresenter(client),
        limits=limits_from(settings),
        data_dir=settings.data_dir,
        lease=settings.job_lease_seconds,
        job_timeout=settings.job_timeout,
        status_interval=settings.status_interval,
        # SQLite serves one process: a running job that is not this process's is an orphan.
        single_process=storage.dialect is Dialect.SQLITE,
        metrics=metrics,
    )
