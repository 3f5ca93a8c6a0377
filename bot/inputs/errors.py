"""Why a member's input image could not be taken, as typed values the ui words later.

A file that breaks a rule of the model (type, size, pixels, a corrupt file) is an
:class:`~bot.catalogue.InvalidOption` naming the image option; this module holds the rest:
the file could not be fetched, or its link is not Discord's.
"""

from __future__ import annotations

from enum import StrEnum

from bot.catalogue import InvalidOption
from bot.i18n import Text


class FetchProblem(StrEnum):
    """Why an attachment could not be downloaded; values end the message key ``input.fetch.<value>``."""

    GONE = "gone"  # 403/404/410: deleted, or its signed link expired
    UNAVAILABLE = "unavailable"  # any other answer (5xx, a redirect …)
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"  # no connection


class AttachmentUnavailable(Exception):
    """An input image could not be downloaded from Discord: not the member's fault, worth a retry."""

    def __init__(self, field: str, problem: FetchProblem, status: int | None = None) -> None:
        self.field = field
        self.problem = problem
        self.status = status
        super().__init__(f"{field}: {problem.value}" + (f" (HTTP {status})" if status is not None else ""))

    def message(self) -> Text:
        """What the member reads: which image, and what went wrong."""
        return Text(f"input.fetch.{self.problem.value}", {"field": self.field})


class HostNotAllowed(ValueError):
    """A URL that is not on one of Discord's attachment hosts: never fetched (a bug, or a forged payload)."""


class UnreadableImage(InvalidOption):
    """A file that is not one complete, decodable image (corrupt, truncated, or not an image at all)."""

    def __init__(self, field: str, value: object) -> None:
        super().__init__(field, Text("rule.edit.unreadable"), value)
