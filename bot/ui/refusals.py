"""What a member reads when a job is not accepted (always privately)."""

from __future__ import annotations

import discord

from bot.jobs.admission import Refusal, RefusalKind
from bot.policy import AccessRefusal, AccessRefusalKind, AllowanceKind, AllowanceRefusal

_ALLOWANCE_NAMES = {
    AllowanceKind.MEMBER: "your daily allowance in this server",
    AllowanceKind.SERVER: "this server's daily allowance",
    AllowanceKind.DM: "your daily allowance in direct messages",
}


def refusal_text(refusal: Refusal) -> str:
    """The sentence for any refusal of the admission function."""
    match refusal.kind:
        case RefusalKind.SHUTTING_DOWN:
            return "🔄 The bot is restarting right now. Please try again in a minute."
        case RefusalKind.DOUBLE_CLICK:
            return "👆 You just pressed that; the first click already started a job."
        case RefusalKind.PENDING_LIMIT:
            return (
                f"⏳ You already have {refusal.used} jobs waiting or generating, and the limit is {refusal.limit} "
                "per person. Wait for one to finish (or cancel a queued one), then try again."
            )
        case RefusalKind.POLICY:
            assert refusal.access is not None
            return access_text(refusal.access)
        case RefusalKind.ALLOWANCE:
            assert refusal.allowance is not None
            return allowance_text(refusal.allowance)


def access_text(refused: AccessRefusal) -> str:
    """Why the server's settings do not allow this job here."""
    match refused.kind:
        case AccessRefusalKind.DMS_DISABLED:
            return "🚪 I don't make images in direct messages. Use me in a server channel instead."
        case AccessRefusalKind.CHANNEL_NOT_ALLOWED:
            channels = ", ".join(f"<#{channel}>" for channel in refused.channel_ids)
            return f"🚧 Image generation isn't enabled in this channel. It works in: {channels}."
        case AccessRefusalKind.CHANNEL_BLOCKED:
            return "🚧 Image generation is turned off in this channel by the server's admins."
        case AccessRefusalKind.ROLE_REQUIRED:
            roles = ", ".join(f"<@&{role}>" for role in refused.role_ids)
            return f"🔒 Generating images here needs one of these roles: {roles}."
        case AccessRefusalKind.OVER_MAX_COUNT:
            return (
                f"🔢 This server allows at most {refused.max_count} images per job. "
                f"Ask for {refused.max_count} or fewer."
            )
        case AccessRefusalKind.BLOCKED_WORD:
            word = discord.utils.escape_markdown(refused.word).replace("`", "ˋ")
            return f"🚫 This server doesn't allow `{word}` in prompts. Reword it and try again."


def allowance_text(refused: AllowanceRefusal) -> str:
    """Which allowance is used up, how much, and when it resets."""
    name = _ALLOWANCE_NAMES[refused.kind]
    return (
        f"📉 That would go past {name}: {refused.used} of {refused.limit} images used today. "
        f"It resets <t:{refused.resets_at}:R> (midnight UTC). `/usage` shows what is left."
    )
