"""The text of a job's status message while it waits and runs."""

from __future__ import annotations

from bot.catalogue import spec_for_model
from bot.storage import Generation
from bot.ui.summary import quote


def _header(generation: Generation) -> str:
    request = generation.request
    count = f"{request.n} image" + ("s" if request.n != 1 else "")
    return f"{spec_for_model(request.model).display_name} · {count} · “{quote(request.prompt, 80)}”"


def queued(generation: Generation, position: int | None, waiting: int, notes: list[str]) -> str:
    """⏳ Queued, with the job's place among all waiting jobs."""
    place = f"position {position} of {waiting}" if position else "waiting"
    return "\n".join([f"⏳ **Queued** — {place} · {_header(generation)}", *notes, _footer(generation)])


def generating(generation: Generation, elapsed: float, notes: list[str]) -> str:
    """🎨 Generating, with the time so far."""
    return "\n".join([f"🎨 **Generating** ({elapsed:.0f} s) · {_header(generation)}", *notes, _footer(generation)])


def paused(generation: Generation) -> str:
    """⏸️ The bot is restarting; the job will resume by itself."""
    return "\n".join(
        [f"⏸️ **Paused** — the bot is restarting; this job resumes automatically. · {_header(generation)}",
         _footer(generation)]
    )  # fmt: skip


def cancelled(generation: Generation, by_user_id: int) -> str:
    """🚫 Cancelled before it started."""
    return f"🚫 **Cancelled** by <@{by_user_id}> before it started. · {_header(generation)}\n{_footer(generation)}"


def _footer(generation: Generation) -> str:
    return f"-# Requested by <@{generation.user_id}> · id `{generation.id}`"
