"""What every subcommand shares: exit codes, reading the settings, logging, signals, the start-up line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import IntEnum
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlsplit

from dotenv import find_dotenv, load_dotenv

from bot.settings import Settings, SettingsError, ensure_data_dir

DISTRIBUTION = "imagine-bot"
SHUTDOWN_GRACE = 30.0  # seconds running jobs get to finish on SIGTERM
_VOICE_WARNING = "voice will NOT be supported"


class ExitCode(IntEnum):
    """What the process's exit status tells a supervisor or a script."""

    OK = 0
    FAILED = 1  # a check failed, or something the operator must fix outside the settings
    CONFIGURATION = 2  # a setting is missing or wrong (including a token Discord refused)


class Abort(Exception):
    """Stop the command: print ``message`` (one sentence) to stderr and exit with ``code``."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Command:
    """One subcommand: its name, one line of help, its options, and what it runs."""

    name: str
    help: str
    run: Callable[[argparse.Namespace], ExitCode]
    add_arguments: Callable[[argparse.ArgumentParser], None] = field(default=lambda _parser: None)  # no options


def package_version() -> str:
    """The installed version of the bot, from its package metadata."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def load_env() -> None:
    """Load ``.env`` from where the bot is started (never overriding the real environment)."""
    load_dotenv(find_dotenv(usecwd=True))


def read_settings() -> Settings:
    """Read the settings (and ``.env``) and make sure ``DATA_DIR`` is usable, or :class:`Abort` with one sentence."""
    load_env()
    try:
        settings = Settings.from_env()
        ensure_data_dir(settings.data_dir)
    except SettingsError as error:
        raise Abort(f"Configuration error: {error}", ExitCode.CONFIGURATION) from None
    return settings


def configure_logging(settings: Settings) -> None:
    """Set up the bot's logging (secrets redacted) and drop discord.py's warnings about voice."""
    settings.configure_logging()
    silence_voice_warnings()


def configure_quiet_logging(settings: Settings) -> None:
    """Logging for one-shot commands (``check``, ``migrate``), which print their own results: errors only.

    ``LOG_LEVEL=DEBUG`` still shows everything, to see what a failing check did.
    """
    level = "DEBUG" if settings.log_level == "DEBUG" else "ERROR"
    configure_logging(replace(settings, log_level=level))


class _NoVoiceWarnings(logging.Filter):
    """Drop "PyNaCl/davey is not installed, voice will NOT be supported": the bot has no voice features."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.WARNING and str(record.msg).endswith(_VOICE_WARNING))


_voice_filter = _NoVoiceWarnings()


def silence_voice_warnings() -> None:
    """Filter the two voice warnings discord.py's ``Client.__init__`` logs on ``discord.client``, nothing else."""
    logger = logging.getLogger("discord.client")
    if _voice_filter not in logger.filters:
        logger.addFilter(_voice_filter)


def startup_line(settings: Settings, role: str) -> str:
    """One line that says what starts and against what: version, database kind, gateway host, data directory.

    Never a password or a path with credentials: the database by its kind only, the gateway by its host.
    """
    gateway_host = urlsplit(settings.gateway_base_url).hostname or settings.gateway_base_url
    return (
        f"{DISTRIBUTION} {package_version()} starting ({role}): database {settings.database.dialect}, "
        f"image gateway {gateway_host}, data directory {settings.data_dir.resolve()}"
    )


def stop_signals() -> asyncio.Event:
    """An event set by SIGTERM (container stop) or SIGINT (Ctrl-C); call inside the running loop."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    return stopping


def say(message: str) -> None:
    """Print one line for the operator on stderr (results a script reads go to stdout)."""
    print(message, file=sys.stderr, flush=True)
