"""ℹ️ Info: every parameter of a job, its gateway request id and its parent, for the presser only."""

from __future__ import annotations

import io

import discord

from bot.catalogue import spec_for_model
from bot.storage import Job

DESCRIPTION_LIMIT = 4096  # Discord's embed description limit


def render_info(record: Job) -> tuple[discord.Embed, discord.File | None]:
    """An embed with everything about the job; the prompt is attached as a file if it is too long."""
    request = record.request
    spec = spec_for_model(request.model)
    prompt = discord.utils.escape_markdown(request.prompt)
    file = None
    if len(prompt) > DESCRIPTION_LIMIT - 40:
        file = discord.File(io.BytesIO(request.prompt.encode()), filename=f"{record.id}-prompt.txt")
        prompt = prompt[: DESCRIPTION_LIMIT - 80] + "… (full prompt attached)"
    embed = discord.Embed(title=f"Job {record.id}", description=prompt, colour=discord.Colour.blurple())
    fields: list[tuple[str, object]] = [
        ("Model", f"{spec.display_name} (`{request.model}`)"),
        ("Size", f"`{request.size}`"),
        ("Count", request.n),
        ("Seed", f"`{request.seed}`"),
        ("Watermark", _yes_no(request.watermark)),
    ]
    optional: list[tuple[str, object | None]] = [
        ("Negative prompt", discord.utils.escape_markdown(request.negative_prompt or "") or None),
        ("Prompt rewriting", _yes_no(request.prompt_extend) if request.prompt_extend is not None else None),
        ("Thinking mode", _yes_no(request.thinking_mode) if request.thinking_mode is not None else None),
        ("Image-set mode", _yes_no(request.enable_sequential) if request.enable_sequential is not None else None),
        (
            "Palette",
            ", ".join(f"`{c.hex}` {c.ratio}" for c in request.color_palette) if request.color_palette else None,
        ),
        ("Variation of", f"image `{request.source.filename}`" if request.source else None),
    ]
    fields += [(name, value) for name, value in optional if value is not None]
    fields += [
        ("Started by", f"{record.action.value.replace('_', ' ')} · <@{record.user_id}>"),
        ("Parent", f"`{record.parent_id}`" if record.parent_id else "—"),
        ("Status", record.status.value + (f" · {record.image_count} images" if record.image_count else "")),
        ("Gateway request", f"`{record.gateway_request_id}`" if record.gateway_request_id else "—"),
        ("Created", f"<t:{int(record.created_at)}:f>"),
    ]
    if record.error:
        fields.append(("Error", record.error[:1000]))
    for name, value in fields:
        embed.add_field(name=name, value=str(value)[:1024], inline=len(str(value)) < 40)
    return embed, file


def _yes_no(value: bool | None) -> str:
    return "on" if value else "off"
