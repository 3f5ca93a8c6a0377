"""What a member reads when a job is not accepted (always privately, in their language)."""

from __future__ import annotations

import discord

from bot.i18n import t
from bot.jobs.admission import Refusal, RefusalKind
from bot.policy import AccessRefusal, AccessRefusalKind, AllowanceRefusal


def refusal_text(refusal: Refusal, locale: str) -> str:
    """The sentence for any refusal of the admission function."""
    match refusal.kind:
        case RefusalKind.SHUTTING_DOWN:
            return t("refusal.shutting_down", locale)
        case RefusalKind.DOUBLE_CLICK:
            return t("refusal.double_click", locale)
        case RefusalKind.PENDING_LIMIT:
            return t("refusal.pending_limit", locale, used=refusal.used, limit=refusal.limit)
        case RefusalKind.POLICY:
            assert refusal.access is not None
            return access_text(refusal.access, locale)
        case RefusalKind.ALLOWANCE:
            assert refusal.allowance is not None
            return allowance_text(refusal.allowance, locale)


def access_text(refused: AccessRefusal, locale: str) -> str:
    """Why the server's settings do not allow this job here."""
    key = f"refusal.access.{refused.kind.value}"
    match refused.kind:
        case AccessRefusalKind.CHANNEL_NOT_ALLOWED:
            return t(key, locale, channels=", ".join(f"<#{channel}>" for channel in refused.channel_ids))
        case AccessRefusalKind.ROLE_REQUIRED:
            return t(key, locale, roles=", ".join(f"<@&{role}>" for role in refused.role_ids))
        case AccessRefusalKind.OVER_MAX_COUNT:
            return t(key, locale, max_count=refused.max_count)
        case AccessRefusalKind.BLOCKED_WORD:
            return t(key, locale, word=discord.utils.escape_markdown(refused.word).replace("`", "ˋ"))
        case _:
            return t(key, locale)


def allowance_text(refused: AllowanceRefusal, locale: str) -> str:
    """Which allowance is used up, how much, and when it resets."""
    name = t(f"refusal.allowance_name.{refused.kind.value}", locale)
    return t(
        "refusal.allowance", locale, name=name, used=refused.used, limit=refused.limit, resets_at=refused.resets_at
    )
