"""One settings object, read from the environment (and ``.env``) and validated before login."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from bot.logs import LogFormat, configure_logging
from bot.policy import Ceilings
from bot.storage.database import DatabaseUrl, Dialect

DEFAULT_GATEWAY_BASE_URL = "https://baze-api.powerbuyin.top"
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(Exception):
    """A missing or malformed setting; the message is one sentence naming it."""


@dataclass(frozen=True, slots=True)
class Secret:
    """A secret string that never shows itself in reprs, logs or tracebacks."""

    _value: str = field(repr=False)

    def get(self) -> str:
        """Return the real value (only at the point of use)."""
        return self._value

    def __str__(self) -> str:
        return "**********"

    def __repr__(self) -> str:
        return "Secret('**********')"


@dataclass(frozen=True, slots=True)
class DiscordAccess:
    """What talking to Discord's REST API needs: the token, and where the API is."""

    token: Secret
    api_base_url: str | None = None  # None: Discord itself

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DiscordAccess:
        """Read ``DISCORD_TOKEN`` and ``DISCORD_API_BASE_URL`` only (``invite`` needs nothing more)."""
        values = os.environ if env is None else env
        token = values.get("DISCORD_TOKEN", "").strip()
        if not token:
            raise SettingsError(
                "DISCORD_TOKEN is not set: put your bot token from the Discord Developer Portal in .env."
            )
        if any(c.isspace() for c in token) or token.lower().startswith("bot "):
            raise SettingsError("DISCORD_TOKEN is malformed: give the bare token, without spaces or a 'Bot ' prefix.")
        api = values.get("DISCORD_API_BASE_URL", "").strip()
        return cls(Secret(token), _http_url("DISCORD_API_BASE_URL", api) if api else None)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot reads from its environment."""

    discord_token: Secret
    gateway_api_key: Secret
    gateway_base_url: str = DEFAULT_GATEWAY_BASE_URL
    data_dir: Path = Path("data")
    database_url: str = ""
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    gateway_timeout: float = 300.0
    gateway_response_format: Literal["url", "b64_json"] = "url"
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None
    max_concurrent_jobs: int = 4
    max_jobs_per_process: int | None = None  # None: as many as MAX_CONCURRENT_JOBS
    max_jobs_per_server: int = 3
    max_running_per_user: int = 2
    max_pending_per_user: int = 5
    job_timeout: float = 600.0
    status_interval: float = 5.0
    job_lease_seconds: float = 30.0
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    log_format: LogFormat = LogFormat.TEXT
    metrics_port: int | None = None  # None: no metrics server
    metrics_host: str = "127.0.0.1"  # loopback unless the operator opens it (compose sets 0.0.0.0)
    undelivered_days: int = 7
    retention_days: int | None = None  # None: job records are kept forever
    default_member_daily_images: int | None = None  # bot-wide ceilings (None: unlimited) …
    default_server_daily_images: int | None = None
    dm_daily_images: int | None = None
    allow_dms: bool = False  # … and whether members may generate in a DM with the bot
    # Hosts (or origins) members' input images may also come from, beside Discord's attachment hosts.
    attachment_hosts: tuple[str, ...] = ()

    @property
    def ceilings(self) -> Ceilings:
        """The bot-wide allowances that server settings may lower but not raise."""
        return Ceilings(
            member_daily=self.default_member_daily_images,
            server_daily=self.default_server_daily_images,
            dm_daily=self.dm_daily_images,
            allow_dms=self.allow_dms,
        )

    @property
    def database(self) -> DatabaseUrl:
        """``DATABASE_URL``, parsed (validated when the settings were read)."""
        return DatabaseUrl.parse(self.database_url)

    @property
    def discord_access(self) -> DiscordAccess:
        """The token and API base URL, for REST calls outside the running bot (start-up, ``check``)."""
        return DiscordAccess(self.discord_token, self.discord_api_base_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and validate settings; raise :class:`SettingsError` on the first bad one."""
        values = dict(os.environ if env is None else env)

        def get(name: str) -> str:
            return values.get(name, "").strip()

        discord_access = DiscordAccess.from_env(values)
        key = get("GATEWAY_API_KEY")
        if not key:
            raise SettingsError("GATEWAY_API_KEY is not set: put your image gateway API key in .env.")

        data_dir = Path(get("DATA_DIR") or "data")
        database_url = _database_url(get("DATABASE_URL") or f"sqlite:///{data_dir / 'imagine.sqlite3'}")
        shard_count = _count("SHARD_COUNT", v) if (v := get("SHARD_COUNT")) else None
        shard_ids = _shard_ids(get("SHARD_IDS"), shard_count)

        level = (get("LOG_LEVEL") or "INFO").upper()
        if level not in _LOG_LEVELS:
            raise SettingsError(f"LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}.")

        log_format = (get("LOG_FORMAT") or "text").lower()
        if log_format not in tuple(LogFormat):
            raise SettingsError("LOG_FORMAT must be text or json.")

        response_format = get("GATEWAY_RESPONSE_FORMAT") or "url"
        if response_format not in ("url", "b64_json"):
            raise SettingsError("GATEWAY_RESPONSE_FORMAT must be url or b64_json.")

        return cls(
            discord_token=discord_access.token,
            gateway_api_key=Secret(key),
            gateway_base_url=_http_url("GATEWAY_BASE_URL", get("GATEWAY_BASE_URL") or DEFAULT_GATEWAY_BASE_URL),
            data_dir=data_dir,
            database_url=database_url,
            dev_guild_id=_snowflake("DEV_GUILD_ID", get("DEV_GUILD_ID")),
            log_level=level,
            gateway_timeout=_positive("GATEWAY_TIMEOUT", get("GATEWAY_TIMEOUT") or "300"),
            gateway_response_format=response_format,  # type: ignore[arg-type]
            discord_api_base_url=discord_access.api_base_url,
            max_concurrent_jobs=_count("MAX_CONCURRENT_JOBS", get("MAX_CONCURRENT_JOBS") or "4"),
            max_jobs_per_process=_count("MAX_JOBS_PER_PROCESS", v) if (v := get("MAX_JOBS_PER_PROCESS")) else None,
            max_jobs_per_server=_count("MAX_JOBS_PER_SERVER", get("MAX_JOBS_PER_SERVER") or "3"),
            max_running_per_user=_count("MAX_RUNNING_PER_USER", get("MAX_RUNNING_PER_USER") or "2"),
            max_pending_per_user=_count("MAX_PENDING_PER_USER", get("MAX_PENDING_PER_USER") or "5"),
            job_timeout=_positive("JOB_TIMEOUT", get("JOB_TIMEOUT") or "600"),
            status_interval=_positive("STATUS_INTERVAL", get("STATUS_INTERVAL") or "5"),
            job_lease_seconds=_positive("JOB_LEASE_SECONDS", get("JOB_LEASE_SECONDS") or "30"),
            shard_count=shard_count,
            shard_ids=shard_ids,
            discord_gateway_url=(_ws_url("DISCORD_GATEWAY_URL", v) if (v := get("DISCORD_GATEWAY_URL")) else None),
            log_format=LogFormat(log_format),
            metrics_port=_port("METRICS_PORT", v) if (v := get("METRICS_PORT")) else None,
            metrics_host=get("METRICS_HOST") or "127.0.0.1",
            undelivered_days=_count("UNDELIVERED_DAYS", get("UNDELIVERED_DAYS") or "7"),
            retention_days=_count("RETENTION_DAYS", v) if (v := get("RETENTION_DAYS")) else None,
            default_member_daily_images=_images("DEFAULT_MEMBER_DAILY_IMAGES", get("DEFAULT_MEMBER_DAILY_IMAGES")),
            default_server_daily_images=_images("DEFAULT_SERVER_DAILY_IMAGES", get("DEFAULT_SERVER_DAILY_IMAGES")),
            dm_daily_images=_images("DM_DAILY_IMAGES", get("DM_DAILY_IMAGES")),
            allow_dms=_flag("ALLOW_DMS", get("ALLOW_DMS")),
            attachment_hosts=_hosts("ATTACHMENT_HOSTS", get("ATTACHMENT_HOSTS")),
        )

    def configure_logging(self) -> None:
        """Set up one-line-per-event logging (text or JSON) at the configured level, secrets redacted."""
        password = urlsplit(self.database_url).password or ""  # as written in the URL, and decoded
        secrets = (self.discord_token.get(), self.gateway_api_key.get(), password, unquote(password))
        configure_logging(self.log_level, self.log_format, secrets=secrets)


def ensure_data_dir(path: Path) -> None:
    """Create ``DATA_DIR`` if missing and prove it is a writable directory; raise :class:`SettingsError` if not.

    Kept out of :meth:`Settings.from_env`, which only reads: this touches the filesystem. The
    write is real (a file created and removed) because ``os.access`` says yes to root even on a
    read-only or pseudo filesystem.
    """
    if path.exists() and not path.is_dir():
        raise SettingsError(f"DATA_DIR {path} is not a directory: point DATA_DIR at a directory the bot can write to.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(
            f"DATA_DIR {path} cannot be created ({_os_reason(error)}): create it, or point DATA_DIR at a writable"
            " directory."
        ) from None
    try:
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        descriptor, probe = tempfile.mkstemp(prefix=".write-test-", dir=path)
        os.close(descriptor)
        os.unlink(probe)
    except OSError as error:
        raise SettingsError(
            f"DATA_DIR {path} is not writable ({_os_reason(error)}): let the bot's user write there, or point"
            " DATA_DIR elsewhere."
        ) from None


def _os_reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def _database_url(value: str) -> str:
    try:
        url = DatabaseUrl.parse(value)
    except ValueError:
        raise SettingsError(
            "DATABASE_URL is not supported: use sqlite:///path/to/file.sqlite3 or postgresql://user:password@host/db."
        ) from None
    if url.dialect is Dialect.SQLITE and url.target == ":memory:":
        raise SettingsError("DATABASE_URL must not be sqlite:///:memory: (every job would be lost): name a file.")
    return value


def _shard_ids(value: str, count: int | None) -> tuple[int, ...] | None:
    if not value:
        return None
    if count is None:
        raise SettingsError("SHARD_IDS needs SHARD_COUNT: set both, e.g. SHARD_COUNT=4 and SHARD_IDS=0,1.")
    parts = [part.strip() for part in value.split(",")]
    if not all(part.isdigit() and int(part) < count for part in parts) or len(set(parts)) != len(parts):
        raise SettingsError(
            f"SHARD_IDS must be distinct numbers from 0 to {count - 1}, comma separated, not {value!r}."
        )
    return tuple(int(part) for part in parts)


def _http_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an http(s) URL such as https://example.com, not {value!r}.")
    return value.rstrip("/")


def _hosts(name: str, value: str) -> tuple[str, ...]:
    """Comma-separated hosts (``media.example.com``: HTTPS) or origins (``http://127.0.0.1:8123``)."""
    entries = tuple(entry.strip() for entry in value.split(",") if entry.strip())
    for entry in entries:
        parts = urlsplit(entry if "://" in entry else f"https://{entry}")
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            parts = parts._replace(netloc="")
        malformed = any(c.isspace() for c in entry) or parts.path not in ("", "/") or parts.query
        if parts.scheme not in ("http", "https") or not parts.hostname or malformed:
            raise SettingsError(
                f"{name} must list hosts or origins separated by commas, such as"
                f" media.example.com or http://127.0.0.1:8123, not {entry!r}."
            )
    return entries


def _ws_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("ws", "wss") or not parts.netloc:
        raise SettingsError(f"{name} must be a ws(s) URL such as wss://gateway.discord.gg, not {value!r}.")
    return value


def _snowflake(name: str, value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 15 <= len(value) <= 21:
        raise SettingsError(f"{name} must be a server ID (a number of 17 to 20 digits), not {value!r}.")
    return int(value)


def _images(name: str, value: str) -> int | None:
    """A daily image allowance: a whole number, with 0 (or nothing) for unlimited."""
    if not value:
        return None
    if not value.isascii() or not value.isdigit():
        raise SettingsError(f"{name} must be a whole number of images (0 for unlimited), not {value!r}.")
    return int(value) or None


def _flag(name: str, value: str) -> bool:
    if value.lower() in ("", "0", "false", "no", "off"):
        return False
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be true or false, not {value!r}.")


def _count(name: str, value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, not {value!r}.")
    return int(value)


def _port(name: str, value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise SettingsError(f"{name} must be a TCP port number from 1 to 65535, not {value!r}.")
    return int(value)


def _positive(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number > 0:
        raise SettingsError(f"{name} must be a positive number of seconds, not {value!r}.")
    return number
