"""The text of a job's status message while it waits and runs, and of its notes."""

from __future__ import annotations

from bot.catalogue import spec_for_model
from bot.jobs.events import Note, Phase, Progress
from bot.storage.records import Job

from .summary import quote

NOTES = {
    Note.RESUMED: "🔄 Resumed after a restart.",
    Note.RERUN: "🔄 The bot restarted while this was generating, so it ran again.",
    Note.NO_CHANNEL_ACCESS: (
        "⚠️ I can't post in this channel myself, so I can only answer here within 15 minutes. "
        "If it takes longer, the result is kept under id `{id}`."
    ),
}


def note_lines(job: Job, notes: tuple[Note, ...]) -> list[str]:
    """The notes as lines of text."""
    return [NOTES[note].format(id=job.id) for note in notes]


def render_progress(job: Job, progress: Progress) -> str:
    """⏳ Queued (with the place among all waiting jobs), 🎨 Generating (with the time so far), or ⏸️ Paused."""
    match progress.phase:
        case Phase.QUEUED:
            place = f"position {progress.position} of {progress.waiting}" if progress.position else "waiting"
            head = f"⏳ **Queued** — {place}"
        case Phase.GENERATING:
            head = f"🎨 **Generating** ({progress.elapsed} s)"
        case Phase.PAUSED:
            head = "⏸️ **Paused** — the bot is restarting; this job resumes automatically."
    notes = note_lines(job, progress.notes) if progress.phase is not Phase.PAUSED else []
    return "\n".join([f"{head} · {_header(job)}", *notes, footer(job)])


def render_cancelled(job: Job, by_user_id: int) -> str:
    """🚫 Cancelled before it started."""
    return f"🚫 **Cancelled** by <@{by_user_id}> before it started. · {_header(job)}\n{footer(job)}"


def footer(job: Job) -> str:
    """Who asked, and the id to quote."""
    return f"-# Requested by <@{job.user_id}> · id `{job.id}`"


def _header(job: Job) -> str:
    request = job.request
    count = f"{request.n} image" + ("s" if request.n != 1 else "")
    return f"{spec_for_model(request.model).display_name} · {count} · “{quote(request.prompt, 80)}”"
