"""The one way a job starts: every command, button, form and ``/show`` passes :func:`admit`.

It returns the accepted job (already stored, its images reserved against today's allowances)
or a typed refusal that the ui words for the member: the bot is stopping, a double click, the
server's policy (channel, role, count, blocked word, direct messages), an allowance, or the
member's number of open jobs. Nothing refused is stored or reaches the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.gateway.models import GenerationRequest
from bot.policy import (
    AUTO_LANGUAGE,
    AccessRefusal,
    AllowanceRefusal,
    Ceilings,
    ServerPolicy,
    check_access,
    member_allowance,
    server_allowance,
    usage_day,
)
from bot.storage.admissions import PendingLimitReached
from bot.storage.jobs import JobStore
from bot.storage.policies import PolicyDocuments, PolicyStore
from bot.storage.records import Action, Job, NewJob
from bot.storage.usage import AllowanceExceeded, Budget

from .events import Note

DOUBLE_CLICK_WINDOW = 5.0  # seconds: a second press of the same button by the same member is ignored


class RefusalKind(StrEnum):
    """Why a job was not accepted."""

    SHUTTING_DOWN = "shutting_down"
    DOUBLE_CLICK = "double_click"
    PENDING_LIMIT = "pending_limit"
    POLICY = "policy"  # the server's settings forbid it (``access`` says how)
    ALLOWANCE = "allowance"  # a daily allowance is used up (``allowance`` says which)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A job that was not accepted, and the figures the member should see."""

    kind: RefusalKind
    used: int = 0
    limit: int = 0
    access: AccessRefusal | None = None
    allowance: AllowanceRefusal | None = None


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
    parent_channel_id: int | None = None  # a thread's channel: its settings are the parent's
    member_role_ids: frozenset[int] = frozenset()
    is_manager: bool = False  # Manage Server: never held back by required roles
    documents: PolicyDocuments | None = None  # already read by the command (for its defaults)
    # The language of the job's public messages when the server's setting is "auto": the server's
    # Discord locale (or, in a direct message, the member's), already matched to a catalogue.
    auto_locale: str = "en-US"


async def admit(
    store: JobStore,
    policies: PolicyStore,
    asked: JobRequest,
    *,
    pending_limit: int,
    ceilings: Ceilings,
    accepting: bool,
    now: float,
) -> Job | Refusal:
    """Accept and store a job, or say why not. Nothing refused is stored or reaches the gateway."""
    if not accepting:
        return Refusal(RefusalKind.SHUTTING_DOWN)
    if asked.click is not None and not await store.first_click(
        asked.click.message_id, asked.user_id, asked.click.action, window=DOUBLE_CLICK_WINDOW, now=now
    ):
        return Refusal(RefusalKind.DOUBLE_CLICK)
    documents = asked.documents or await policies.load(asked.guild_id, asked.user_id)
    policy = ServerPolicy.from_dict(documents.policy)
    refused = check_access(
        policy,
        ceilings,
        guild_id=asked.guild_id,
        channel_id=asked.channel_id,
        parent_channel_id=asked.parent_channel_id,
        member_role_ids=asked.member_role_ids,
        is_manager=asked.is_manager,
        prompt=asked.request.prompt,
        negative_prompt=asked.request.negative_prompt,
        count=asked.request.n,
    )
    if refused is not None:
        return Refusal(RefusalKind.POLICY, access=refused)
    dm = asked.guild_id is None
    budget = Budget(
        day=usage_day(now),
        member_limit=member_allowance(policy, ceilings, asked.member_role_ids, dm=dm),
        server_limit=None if dm else server_allowance(policy, ceilings),
    )
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
        locale=asked.auto_locale if policy.language == AUTO_LANGUAGE else policy.language,
    )
    try:
        return await store.admit(new, pending_limit=pending_limit, now=now, budget=budget)
    except PendingLimitReached as full:
        return Refusal(RefusalKind.PENDING_LIMIT, used=full.pending, limit=full.limit)
    except AllowanceExceeded as spent:
        over = spent.refusal
        return Refusal(RefusalKind.ALLOWANCE, used=over.used, limit=over.limit, allowance=over)
