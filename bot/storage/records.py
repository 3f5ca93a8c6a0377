"""What the database holds about jobs, as typed values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.gateway.models import GenerationRequest

from .database import Row


class Status(StrEnum):
    """Life cycle of a job."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """Waiting or generating: not ended yet."""
        return self in (Status.QUEUED, Status.RUNNING)


class Action(StrEnum):
    """What started a job."""

    IMAGINE = "imagine"
    SAME_SEED = "same_seed"
    NEW_SEED = "new_seed"
    VARIATION = "variation"
    REMIX = "remix"
    SHOW = "show"  # /show regenerated a result whose images were gone
    EDIT = "edit"  # /edit or "Edit image" on a message: members' own images
    VARY_REGION = "vary_region"  # Vary region on a result: one part of one image


@dataclass(frozen=True, slots=True)
class Job:
    """One stored job: who asked for what, where, how far it got and how it ended."""

    id: str
    parent_id: str | None
    action: Action
    guild_id: int | None
    channel_id: int
    user_id: int
    request: GenerationRequest
    status: Status
    message_id: int | None
    image_count: int
    gateway_request_id: str | None
    error: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    status_message_id: int | None = None
    attempts: int = 0  # how often a process started it (more than one: it was interrupted)
    overflow_message_ids: tuple[int, ...] = ()  # messages holding images 11 and up
    lease_owner: str | None = None
    lease_expires_at: float | None = None
    interaction_token: str | None = field(default=None, repr=False)  # a secret while it is valid
    token_expires_at: float | None = None
    acknowledged_at: float | None = None
    upload_limit: int | None = None  # bytes per file where the job posts
    notes: tuple[str, ...] = ()  # keys of notes shown while it waits and runs
    delivery_nonce: str | None = None
    reserved: int = 0  # images reserved against today's allowances at admission
    usage_day: str | None = None  # the UTC day they count against
    locale: str = "en-US"  # the language of its public messages, chosen at admission

    def token(self, now: float) -> str | None:
        """The interaction's webhook token while Discord still accepts it."""
        if self.interaction_token and self.token_expires_at is not None and now < self.token_expires_at:
            return self.interaction_token
        return None


@dataclass(frozen=True, slots=True)
class NewJob:
    """What admission stores for a job it accepts."""

    request: GenerationRequest
    action: Action
    guild_id: int | None
    channel_id: int
    user_id: int
    parent_id: str | None = None
    interaction_token: str | None = field(default=None, repr=False)
    token_expires_at: float | None = None
    upload_limit: int | None = None
    notes: tuple[str, ...] = ()
    locale: str = "en-US"


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """An open job as the fairness rule sees it."""

    job_id: str
    user_id: int
    guild_id: int | None
    created_at: float


@dataclass(frozen=True, slots=True)
class QueueState:
    """The open jobs at one moment: waiting (oldest first), running, and each user's last turn."""

    waiting: tuple[QueueEntry, ...]
    running: tuple[QueueEntry, ...]
    turns: Mapping[int, float]  # user id -> when one of their jobs last started


def job_from_row(row: Row) -> Job:
    """Build a :class:`Job` from a ``jobs`` row (either backend)."""
    return Job(
        id=row["id"],
        parent_id=row["parent_id"],
        action=Action(row["action"]),
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        user_id=row["user_id"],
        request=GenerationRequest.from_dict(json.loads(row["request"])),
        status=Status(row["status"]),
        message_id=row["message_id"],
        image_count=row["image_count"],
        gateway_request_id=row["gateway_request_id"],
        error=row["error"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        status_message_id=row["status_message_id"],
        attempts=row["attempts"],
        overflow_message_ids=tuple(json.loads(row["overflow_message_ids"])),
        lease_owner=row["lease_owner"],
        lease_expires_at=row["lease_expires_at"],
        interaction_token=row["interaction_token"],
        token_expires_at=row["token_expires_at"],
        acknowledged_at=row["acknowledged_at"],
        upload_limit=row["upload_limit"],
        notes=tuple(json.loads(row["notes"])),
        delivery_nonce=row["delivery_nonce"],
        reserved=row["reserved"],
        usage_day=row["usage_day"],
        locale=row["locale"],
    )
