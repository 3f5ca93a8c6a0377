"""Logging: one line per event, as text or JSON, with ids bound by context and secrets redacted.

Ids are bound once, where a job starts running or an interaction is handled, with
:func:`bind_job` / :func:`bind_interaction`; every record logged afterwards in that task (and in
tasks it starts) carries them. A filter on the handler replaces the configured secrets and
anything shaped like an interaction token with ``***`` in every record, tracebacks included.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import discord

REDACTED = "***"
_EMPTY: Mapping[str, str] = MappingProxyType({})
_bound: ContextVar[Mapping[str, str]] = ContextVar("log_context", default=_EMPTY)
_SHORT_NAMES = {"job_id": "job", "guild_id": "guild", "user_id": "user", "gateway_request_id": "gateway_request"}
_CONTEXT_ATTRIBUTE = "log_context"
_MIN_SECRET_LENGTH = 4  # shorter "secrets" would blank out ordinary words
# Interaction tokens are not configured values: each interaction brings its own. They show up in
# webhook URLs and in raw gateway payloads (discord.py logs both at DEBUG), and a token is a
# credential for 15 minutes.
_TOKEN_PATTERNS = (
    re.compile(r"(/webhooks/\d+/)[^/?#\s'\"]+"),
    re.compile(r"(/interactions/\d+/)[^/?#\s'\"]+"),
    re.compile(r"""(["']token["']\s*:\s*["'])[^"']+"""),
    re.compile(r"""(Authorization["']?\s*[:=]\s*["']?(?:Bot|Bearer)\s+)[^\s"',}]+""", re.IGNORECASE),
    re.compile(r"()\baW50ZXJhY3Rpb24[0-9A-Za-z_-]{16,}"),  # Discord's tokens are base64 of "interaction:…"
)
# Libraries whose DEBUG lines are noise and worse: aiosqlite's show every SQL parameter (interaction
# tokens of open jobs among them), Pillow's every PNG chunk. They log from INFO up whatever LOG_LEVEL is.
_QUIET_LIBRARIES = ("aiosqlite", "PIL", "psycopg")


class LogFormat(StrEnum):
    """How log records are written."""

    TEXT = "text"
    JSON = "json"


def bind_job(job_id: str, *, guild_id: int | None, user_id: int) -> None:
    """Tag every record from here on in this task with the job's ids (and only those)."""
    _bound.set(_fields(job_id=job_id, guild_id=guild_id, user_id=user_id))


def bind_interaction(interaction: discord.Interaction[Any]) -> None:
    """Tag every record from here on in this task with who asked and where."""
    _bound.set(_fields(guild_id=interaction.guild_id, user_id=interaction.user.id))


def bind(*, job_id: str | None = None, gateway_request_id: str | None = None) -> None:
    """Add ids to those already bound in this task (e.g. the job an interaction created)."""
    _bound.set(MappingProxyType({**_bound.get(), **_fields(job_id=job_id, gateway_request_id=gateway_request_id)}))


def bound() -> Mapping[str, str]:
    """The ids bound in the current context."""
    return _bound.get()


def _fields(**values: str | int | None) -> Mapping[str, str]:
    # Snowflakes as strings: JSON readers that parse numbers as doubles would round them.
    return MappingProxyType({name: str(value) for name, value in values.items() if value is not None})


class ContextFilter(logging.Filter):
    """Copy the bound ids onto each record as it is created (in the task that logs it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, _CONTEXT_ATTRIBUTE):
            setattr(record, _CONTEXT_ATTRIBUTE, _bound.get())
        return True


class RedactingFilter(logging.Filter):
    """Replace secrets and interaction tokens with ``***`` in the message, traceback and stack."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True)
        self._tracebacks = logging.Formatter()

    def redact(self, text: str) -> str:
        """``text`` without any secret or interaction token."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _TOKEN_PATTERNS:
            text = pattern.sub(rf"\g<1>{REDACTED}", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not take the caller down (logging's own rule)
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._tracebacks.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _context(record: logging.LogRecord) -> Mapping[str, str]:
    context: Mapping[str, str] = getattr(record, _CONTEXT_ATTRIBUTE, _EMPTY)
    return context


class TextFormatter(logging.Formatter):
    """``time level logger: message [job=… guild=… user=…]``, for people reading a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        ids = " ".join(f"{_SHORT_NAMES.get(name, name)}={value}" for name, value in _context(record).items())
        return f"{line} [{ids}]" if ids else line


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors; the traceback is a field, not extra lines."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_context(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["traceback"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, log_format: LogFormat = LogFormat.TEXT, *, secrets: Iterable[str] = ()) -> None:
    """Send every record (discord.py's too) to stderr, one line each, with ids bound and secrets redacted.

    ``LOG_LEVEL=DEBUG`` includes discord.py's own debug output (HTTP routes, gateway payloads);
    the redaction keeps interaction tokens out of it.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format is LogFormat.JSON else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter(secrets))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("discord").setLevel(level)
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.captureWarnings(True)  # warnings become records too: every line of a JSON log is JSON
