"""What the job layer needs from whoever shows jobs to people (``bot.ui`` implements it for Discord)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.gateway.models import ImageSource
from bot.storage.records import Job

from .events import Note, Progress
from .producer import Produced


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where a result was posted."""

    message_id: int
    overflow_message_ids: tuple[int, ...] = ()  # messages holding images 11 and up


class Undeliverable(Exception):
    """No route could put the result in the channel."""


class Presenter(Protocol):
    """Shows jobs: status, results, failures. Every method works in any process, after restarts."""

    async def show_progress(self, job: Job, progress: Progress) -> bool:
        """Show the job's status; False if it could not (best effort: logged, not raised; tried again later)."""

    async def deliver(self, job: Job, produced: Produced, *, elapsed: float, notes: tuple[Note, ...]) -> Delivery:
        """Post the result; raise :class:`Undeliverable` when no route works."""

    async def show_failure(self, job: Job, error: BaseException, *, error_id: str | None) -> int | None:
        """Explain a failure (with Retry where it helps); return the message's id if it was shown."""

    async def find_delivery(self, job: Job) -> Delivery | None:
        """The result if it is already posted (a process died after posting, before recording it)."""

    async def fetch_source(self, source: ImageSource) -> bytes:
        """The input image of a variation; raise ``SourceImageGone`` when it is gone."""
