"""Logging: JSON and text lines, ids bound by context, secrets and interaction tokens redacted."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import warnings
from collections.abc import Iterator

import pytest

from bot.logs import (
    ContextFilter,
    JsonFormatter,
    LogFormat,
    RedactingFilter,
    TextFormatter,
    bind,
    bind_job,
    bound,
    configure_logging,
)
from bot.settings import Settings, SettingsError

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.canary.discord-token"
KEY = "sk-canary-gateway-key-0123456789"
BASE_ENV = {"DISCORD_TOKEN": TOKEN, "GATEWAY_API_KEY": KEY}


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Records of the logger ``t`` as JSON lines in a buffer (the real filters, a private handler)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter([TOKEN, KEY]))
    logger = logging.getLogger("t")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield buffer
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def lines(buffer: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_json_line_has_the_fields_and_bound_ids(stream: io.StringIO) -> None:
    async def job() -> None:
        bind_job("abc123", guild_id=111111111111111111, user_id=222222222222222222)
        bind(gateway_request_id="req-9")
        logging.getLogger("t").info("job %s delivered", "abc123")

    asyncio.run(job())
    logging.getLogger("t").info("outside any job")
    inside, outside = lines(stream)
    assert inside["message"] == "job abc123 delivered" and inside["level"] == "INFO" and inside["logger"] == "t"
    assert inside["time"].endswith("+00:00") and "T" in inside["time"]
    assert inside["job_id"] == "abc123" and inside["guild_id"] == "111111111111111111"
    assert inside["user_id"] == "222222222222222222" and inside["gateway_request_id"] == "req-9"
    assert "job_id" not in outside  # bound in the job's task only


def test_binding_a_job_replaces_ids_inherited_from_another() -> None:
    async def main() -> dict[str, str]:
        bind_job("first", guild_id=1, user_id=2)

        async def second() -> dict[str, str]:
            bind_job("second", guild_id=None, user_id=3)  # a DM job: no guild, and not the first one's
            return dict(bound())

        return await asyncio.create_task(second())

    assert asyncio.run(main()) == {"job_id": "second", "user_id": "3"}


def test_secrets_are_redacted_in_messages_arguments_and_tracebacks(stream: io.StringIO) -> None:
    logger = logging.getLogger("t")
    logger.warning("gateway said: Incorrect API key provided: %s", KEY)
    try:
        raise RuntimeError(f"login with {TOKEN} failed")
    except RuntimeError:
        logger.exception("crashed")
    text = stream.getvalue()
    assert TOKEN not in text and KEY not in text
    warned, crashed = lines(stream)
    assert warned["message"] == "gateway said: Incorrect API key provided: ***"
    assert "RuntimeError: login with *** failed" in crashed["traceback"]


def test_interaction_tokens_are_redacted(stream: io.StringIO) -> None:
    token = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5OnNlY3JldA"
    logger = logging.getLogger("t")
    logger.debug("PATCH https://discord.com/api/v10/webhooks/123456/%s/messages/@original has returned 200", token)
    logger.debug("POST https://discord.com/api/v10/interactions/987654/%s/callback with None", token)
    logger.debug("WebSocket Event: %s", {"t": "INTERACTION_CREATE", "d": {"token": token, "id": "1"}})
    logger.debug('raw: {"token": "%s"} headers: {"Authorization": "Bot %s"}', token, token)
    logger.debug("a token out of any context: %s.", token)
    text = stream.getvalue()
    assert token not in text
    assert "a token out of any context: ***." in text
    assert "/webhooks/123456/***/messages/@original" in text and "/interactions/987654/***/callback" in text


def test_a_bad_format_string_still_logs(stream: io.StringIO) -> None:
    logging.getLogger("t").info("%d jobs", "not a number")
    assert "not a number" in lines(stream)[0]["message"]


def test_text_format_shows_bound_ids_compactly() -> None:
    record = logging.LogRecord("bot.jobs", logging.INFO, __file__, 1, "job delivered", None, None)
    record.log_context = {"job_id": "abc123", "guild_id": "1", "user_id": "2"}
    line = TextFormatter().format(record)
    assert line.endswith("bot.jobs: job delivered [job=abc123 guild=1 user=2]")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger (and discord's level) back as they were after ``configure_logging``."""
    root, discord_logger = logging.getLogger(), logging.getLogger("discord")
    handlers, level, discord_level = root.handlers[:], root.level, discord_logger.level
    try:
        yield
    finally:
        logging.captureWarnings(False)
        root.handlers[:] = handlers
        root.setLevel(level)
        discord_logger.setLevel(discord_level)
        for name in ("aiosqlite", "PIL", "psycopg"):
            logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_covers_discord_and_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG", LogFormat.JSON, secrets=[TOKEN])
    logging.getLogger("aiosqlite").debug("executing INSERT ... ('itok-interaction-token', ...)")  # kept quiet
    logging.getLogger("discord.http").debug("token %s", TOKEN)
    warnings.warn("careful", UserWarning, stacklevel=1)
    entries = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert entries[0]["logger"] == "discord.http" and entries[0]["message"] == "token ***"
    assert entries[1]["logger"] == "py.warnings" and "careful" in entries[1]["message"]


def test_settings_read_the_log_format() -> None:
    assert Settings.from_env(BASE_ENV).log_format is LogFormat.TEXT
    assert Settings.from_env({**BASE_ENV, "LOG_FORMAT": "JSON"}).log_format is LogFormat.JSON
    with pytest.raises(SettingsError, match="LOG_FORMAT must be text or json"):
        Settings.from_env({**BASE_ENV, "LOG_FORMAT": "xml"})


@pytest.mark.usefixtures("restore_logging")
def test_settings_logging_redacts_token_key_and_database_password(capsys: pytest.CaptureFixture[str]) -> None:
    env = {**BASE_ENV, "LOG_FORMAT": "json", "DATABASE_URL": "postgresql://bot:p%40ss-word@db/imagine"}
    Settings.from_env(env).configure_logging()
    logging.getLogger("bot").warning("%s %s %s %s", TOKEN, KEY, "p%40ss-word", "p@ss-word")
    assert json.loads(capsys.readouterr().err)["message"] == "*** *** *** ***"
