"""The one way a job starts: every command, button, form and ``/show`` passes :func:`admit`.

It returns the accepted job (already stored) or a typed refusal that the ui words for the
member. Per-server policy and allowances plug in here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.gateway.models import GenerationRequest
from bot.storage.jobs import JobStore, PendingLimitReached
from bot.storage.records import Action, Job, NewJob

from .events import Note

DOUBLE_CLICK_WINDOW = 5.0  # seconds: a second press of the same button by the same member is ignored


class RefusalKind(StrEnum):
    """Why a job was not accepted."""

    SHUTTING_DOWN = "shutting_down"
    DOUBLE_CLICK = "double_click"
    PENDING_LIMIT = "pending_limit"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A job that was not accepted, and the figures the member should see."""

    kind: RefusalKind
    used: int = 0
    limit: int = 0


@dataclass(frozen=True, slots=True)
class Click:
    """The button press that asked for a job."""

    message_id: int
    action: str


@dataclass(frozen=True, slots=True)
class JobRequest:
    """Everything admission needs to know about a job someone asked for."""

    request: GenerationRequest
    action: Action
    guild_id: int | None
    channel_id: int
    user_id: int
    parent_id: str | None = None
    interaction_token: str | None = None
    token_expires_at: float | None = None
    upload_limit: int | None = None
    notes: tuple[Note, ...] = ()
    click: Click | None = None


async def admit(
    store: JobStore, asked: JobRequest, *, pending_limit: int, accepting: bool, now: float
) -> Job | Refusal:
    """Accept and store a job, or say why not. Nothing refused is stored or reaches the gateway."""
    if not accepting:
        return Refusal(RefusalKind.SHUTTING_DOWN)
    if asked.click is not None and not await store.first_click(
        asked.click.message_id, asked.user_id, asked.click.action, window=DOUBLE_CLICK_WINDOW, now=now
    ):
        return Refusal(RefusalKind.DOUBLE_CLICK)
    new = NewJob(
        request=asked.request,
        action=asked.action,
        guild_id=asked.guild_id,
        channel_id=asked.channel_id,
        user_id=asked.user_id,
        parent_id=asked.parent_id,
        interaction_token=asked.interaction_token,
        token_expires_at=asked.token_expires_at,
        upload_limit=asked.upload_limit,
        notes=tuple(str(note) for note in asked.notes),
    )
    try:
        return await store.admit(new, pending_limit=pending_limit, now=now)
    except PendingLimitReached as full:
        return Refusal(RefusalKind.PENDING_LIMIT, used=full.pending, limit=full.limit)
