"""The text of a job's status message while it waits and runs, and of its notes (in the job's language)."""

from __future__ import annotations

from bot.catalogue import spec_for_model
from bot.i18n import t
from bot.jobs.events import Note, Phase, Progress
from bot.storage.records import Job

from .summary import quote


def note_lines(job: Job, notes: tuple[Note, ...]) -> list[str]:
    """The notes as lines of text."""
    return [t(f"status.note.{note.value}", job.locale, id=job.id) for note in notes]


def render_progress(job: Job, progress: Progress) -> str:
    """⏳ Queued (with the place among all waiting jobs), 🎨 Generating (with the time so far), or ⏸️ Paused."""
    locale = job.locale
    match progress.phase:
        case Phase.QUEUED if progress.position:
            head = t("status.queued", locale, position=progress.position, waiting=progress.waiting)
        case Phase.QUEUED:
            head = t("status.queued_unplaced", locale)
        case Phase.GENERATING:
            head = t("status.generating", locale, elapsed=progress.elapsed)
        case Phase.PAUSED:
            head = t("status.paused", locale)
    notes = note_lines(job, progress.notes) if progress.phase is not Phase.PAUSED else []
    return "\n".join([f"{head} · {header(job)}", *notes, footer(job)])


def render_cancelled(job: Job, by_user_id: int) -> str:
    """🚫 Cancelled before it started."""
    cancelled = t("status.cancelled", job.locale, user=by_user_id)
    return f"{cancelled} · {header(job)}\n{footer(job)}"


def footer(job: Job) -> str:
    """Who asked, and the id to quote."""
    return t("status.footer", job.locale, user=job.user_id, id=job.id)


def header(job: Job) -> str:
    """Model, count and the start of the prompt."""
    request = job.request
    model = spec_for_model(request.model).display_name
    images = t("images", job.locale, count=request.n)
    return t("status.header", job.locale, model=model, images=images, prompt=quote(request.prompt, 80))
