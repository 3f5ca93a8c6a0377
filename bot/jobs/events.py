"""What the job layer tells presenters, in values, never in words.

Presenters in ``bot.ui`` turn these into messages in the member's language. Notes are keys:
they are stored with the job, so any process can show them after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Note(StrEnum):
    """Something worth saying about a job while it waits, runs, and in its result."""

    RESUMED = "resumed"  # it was waiting when the bot restarted, and carried on
    RERUN = "rerun"  # it was generating when a process stopped, so it ran again
    NO_CHANNEL_ACCESS = "no_channel_access"  # the bot can answer only through the interaction
    FLATTENED = "flattened"  # an input image's transparency was filled with white (the model takes none)


class Phase(StrEnum):
    """Where a job is, as its status message shows it."""

    QUEUED = "queued"
    GENERATING = "generating"
    PAUSED = "paused"  # the process is stopping; the job resumes by itself


@dataclass(frozen=True, slots=True)
class Progress:
    """A job's status at one moment."""

    phase: Phase
    position: int | None = None  # 1-based place among waiting jobs, while queued
    waiting: int = 0  # how many jobs wait in all
    elapsed: int = 0  # seconds generating, in whole steps (so it changes, and is edited, rarely)
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True, slots=True)
class Partial:
    """The gateway returned fewer images than asked for."""

    got: int
    expected: int
