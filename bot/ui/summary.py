"""The text of a result message. Everything echoed is escaped; nothing can ping."""

from __future__ import annotations

import discord

from bot.catalogue import spec_for_model
from bot.catalogue.sizes import dimensions
from bot.images import PreparedImage
from bot.storage import Job

PROMPT_PREVIEW = 300
REVISED_PREVIEW = 200


def quote(text: str, limit: int) -> str:
    """Make user text safe to echo: one line, no markdown, no mentions, at most ``limit`` chars."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return discord.utils.escape_mentions(discord.utils.escape_markdown(flat))


def render_summary(
    job: Job,
    images: list[PreparedImage],
    *,
    elapsed: float,
    revised_prompt: str | None,
    notes: list[str],
) -> str:
    """Summarize a delivered result: model, prompt, size, count, seed, time, requester, id."""
    request = job.request
    spec = spec_for_model(request.model)
    width, height = dimensions(request.size, spec.sizes.presets)
    size = f"{request.size} ({width}×{height})" if request.size in spec.sizes.presets else f"{width}×{height}"
    count = f"{len(images)} image" + ("s" if len(images) != 1 else "")
    lines = [
        f"**{spec.display_name}** · {size} · {count} · seed `{request.seed}`",
        f"> {quote(request.prompt, PROMPT_PREVIEW)}",
    ]
    if revised_prompt and revised_prompt.strip() != request.prompt.strip():
        lines.append(f"✏️ Revised: {quote(revised_prompt, REVISED_PREVIEW)}")
    if any(image.reencoded for image in images):
        how = "Re-encoded as WebP" + (" and downscaled" if any(i.downscaled for i in images) else "")
        links = " ".join(
            f"[original {n}](<{i.source_url}>)" for n, i in enumerate(images, 1) if i.reencoded and i.source_url
        )
        lines.append(f"📦 {how} to fit Discord's upload limit." + (f" Full size for 24 h: {links}" if links else ""))
    lines.extend(notes)
    lines.append(f"-# Requested by <@{job.user_id}> · {elapsed:.1f} s · id `{job.id}`")
    return "\n".join(lines)


def render_repost(job: Job, count: int, *, shown_by: int) -> str:
    """The text of a /show re-post of a stored result."""
    request = job.request
    spec = spec_for_model(request.model)
    width, height = dimensions(request.size, spec.sizes.presets)
    return "\n".join(
        [
            f"**{spec.display_name}** · {width}×{height} · {count} image{'s' if count != 1 else ''} · "
            f"seed `{request.seed}`",
            f"> {quote(request.prompt, PROMPT_PREVIEW)}",
            f"-# Re-posted by <@{shown_by}> · first requested by <@{job.user_id}> "
            f"<t:{int(job.created_at)}:R> · id `{job.id}`",
        ]
    )
