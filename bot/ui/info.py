"""ℹ️ Info: every parameter of a job, its gateway request id and its parent, for the presser only."""

from __future__ import annotations

import io

import discord

from bot.catalogue import spec_for_model
from bot.gateway.models import BBoxList
from bot.i18n import t
from bot.storage import Job

DESCRIPTION_LIMIT = 4096  # Discord's embed description limit


def render_info(record: Job, locale: str) -> tuple[discord.Embed, discord.File | None]:
    """An embed with everything about the job; the prompt is attached as a file if it is too long."""
    request = record.request
    spec = spec_for_model(request.model)
    prompt = discord.utils.escape_markdown(request.prompt)
    file = None
    if len(prompt) > DESCRIPTION_LIMIT - 40:
        file = discord.File(io.BytesIO(request.prompt.encode()), filename=f"{record.id}-prompt.txt")
        prompt = prompt[: DESCRIPTION_LIMIT - 80] + t("info.prompt_attached", locale)
    title = t("info.title", locale, id=record.id)
    embed = discord.Embed(title=title, description=prompt, colour=discord.Colour.blurple())

    def switch(value: bool | None) -> str | None:
        return None if value is None else t("info.on" if value else "info.off", locale)

    palette = request.color_palette
    fields: list[tuple[str, object | None]] = [
        ("model", f"{spec.display_name} (`{request.model}`)"),
        ("size", f"`{request.size}`"),
        ("count", request.n),
        ("seed", f"`{request.seed}`"),
        ("watermark", switch(request.watermark)),
        ("negative_prompt", discord.utils.escape_markdown(request.negative_prompt or "") or None),
        ("prompt_rewriting", switch(request.prompt_extend)),
        ("thinking_mode", switch(request.thinking_mode)),
        ("image_set_mode", switch(request.enable_sequential)),
        ("palette", ", ".join(f"`{c.hex}` {c.ratio}" for c in palette) if palette else None),
        (
            "variation_of",
            t("info.variation_of_value", locale, filename=request.source.filename) if request.source else None,
        ),
        ("input_images", t("images", locale, count=len(request.inputs)) if request.inputs else None),
        ("region", _boxes(request.bbox_list)),
        ("started_by", f"{t(f'info.action.{record.action.value}', locale)} · <@{record.user_id}>"),
        ("parent", f"`{record.parent_id}`" if record.parent_id else t("info.none", locale)),
        ("status", _status(record, locale)),
        ("gateway_request", f"`{record.gateway_request_id}`" if record.gateway_request_id else t("info.none", locale)),
        ("created", f"<t:{int(record.created_at)}:f>"),
        ("error", record.error[:1000] if record.error else None),
    ]
    for name, value in fields:
        if value is not None:
            embed.add_field(name=t(f"info.{name}", locale), value=str(value)[:1024], inline=len(str(value)) < 40)
    return embed, file


def _boxes(bbox_list: BBoxList | None) -> str | None:
    """The edited boxes, in the input images' pixels (image number: x1,y1–x2,y2)."""
    if bbox_list is None:
        return None
    shown = [f"{n}: {x1},{y1}–{x2},{y2}" for n, boxes in enumerate(bbox_list, 1) for x1, y1, x2, y2 in boxes]
    return "; ".join(shown) or None


def _status(record: Job, locale: str) -> str:
    status = t(f"job_status.{record.status.value}", locale)
    if not record.image_count:
        return status
    return t("info.status_images", locale, status=status, images=t("images", locale, count=record.image_count))
