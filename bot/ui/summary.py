"""The text of a result message, in the job's language. Everything echoed is escaped; nothing can ping."""

from __future__ import annotations

import discord

from bot.catalogue import spec_for_model
from bot.catalogue.sizes import dimensions
from bot.i18n import t
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
    request, locale = job.request, job.locale
    lines = [_headline(job, len(images), named_preset=True), f"> {quote(request.prompt, PROMPT_PREVIEW)}"]
    if revised_prompt and revised_prompt.strip() != request.prompt.strip():
        lines.append(t("summary.revised", locale, prompt=quote(revised_prompt, REVISED_PREVIEW)))
    if any(image.reencoded for image in images):
        how = "summary.reencoded_downscaled" if any(i.downscaled for i in images) else "summary.reencoded"
        links = " ".join(
            f"[{t('summary.original_link', locale, number=n)}](<{i.source_url}>)"
            for n, i in enumerate(images, 1)
            if i.reencoded and i.source_url
        )
        lines.append(t(how, locale) + (t("summary.full_size", locale, links=links) if links else ""))
    lines.extend(notes)
    lines.append(t("summary.footer", locale, user=job.user_id, elapsed=f"{elapsed:.1f}", id=job.id))
    return "\n".join(lines)


def render_repost(job: Job, count: int, *, shown_by: int, locale: str) -> str:
    """The text of a /show re-post of a stored result (in the language of the server it is posted in)."""
    footer = t(
        "summary.repost_footer", locale, shown_by=shown_by, user=job.user_id, created=int(job.created_at), id=job.id
    )
    return "\n".join([_headline(job, count, locale=locale), f"> {quote(job.request.prompt, PROMPT_PREVIEW)}", footer])


def _headline(job: Job, count: int, *, named_preset: bool = False, locale: str | None = None) -> str:
    request = job.request
    locale = locale or job.locale
    spec = spec_for_model(request.model)
    width, height = dimensions(request.size, spec.sizes.presets)
    size = f"{width}×{height}"
    if named_preset and request.size in spec.sizes.presets:
        size = t("summary.preset_size", locale, preset=request.size, width=width, height=height)
    images = t("images", locale, count=count)
    return t("summary.headline", locale, model=spec.display_name, size=size, images=images, seed=request.seed)
