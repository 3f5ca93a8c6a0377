"""Settings: defaults, validation messages, and secrets that never print."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.policy import Ceilings
from bot.settings import DEFAULT_GATEWAY_BASE_URL, DiscordAccess, Settings, SettingsError, ensure_data_dir
from bot.storage.database import DatabaseUrl, Dialect
from tests.paths import PROJECT

BASE = {"DISCORD_TOKEN": "abc.def.ghi", "GATEWAY_API_KEY": "sk-secret"}


def test_defaults() -> None:
    settings = Settings.from_env(BASE)
    assert settings.gateway_base_url == DEFAULT_GATEWAY_BASE_URL == "https://baze-api.powerbuyin.top"
    assert settings.data_dir == Path("data")
    assert settings.database == DatabaseUrl(Dialect.SQLITE, "data/imagine.sqlite3")
    assert settings.job_lease_seconds == 30 and settings.shard_count is None and settings.shard_ids is None
    assert settings.dev_guild_id is None and settings.log_level == "INFO"
    assert settings.discord_api_base_url is None and settings.discord_gateway_url is None


def test_values_are_read_and_normalized() -> None:
    settings = Settings.from_env({
        **BASE, "GATEWAY_BASE_URL": "https://api.powertokens.ai/", "DATA_DIR": "/srv/bot",
        "DEV_GUILD_ID": "123456789012345678", "LOG_LEVEL": "debug", "GATEWAY_TIMEOUT": "90",
    })  # fmt: skip
    assert settings.gateway_base_url == "https://api.powertokens.ai"
    assert settings.database.target == "/srv/bot/imagine.sqlite3"
    assert settings.dev_guild_id == 123456789012345678
    assert settings.log_level == "DEBUG" and settings.gateway_timeout == 90


def test_secrets_never_print() -> None:
    settings = Settings.from_env(BASE)
    for text in (repr(settings), str(settings), f"{settings.discord_token}", repr(settings.gateway_api_key)):
        assert "sk-secret" not in text and "abc.def.ghi" not in text
    assert settings.gateway_api_key.get() == "sk-secret"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"GATEWAY_API_KEY": "k"}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": "Bot abc", "GATEWAY_API_KEY": "k"}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": "t"}, "GATEWAY_API_KEY"),
        ({**BASE, "GATEWAY_TIMEOUT": "0"}, "GATEWAY_TIMEOUT"),
        ({**BASE, "GATEWAY_RESPONSE_FORMAT": "png"}, "GATEWAY_RESPONSE_FORMAT"),
        ({**BASE, "DISCORD_GATEWAY_URL": "http://x"}, "DISCORD_GATEWAY_URL"),
        ({**BASE, "DEV_GUILD_ID": "12"}, "DEV_GUILD_ID"),
    ],
)
def test_bad_values_name_the_setting(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env)
    message = str(info.value)
    assert message.startswith(named) and message.endswith(".") and message.count(". ") <= 1
    assert "sk-secret" not in message


def test_postgresql_urls_are_accepted_and_shown_without_their_password() -> None:
    for scheme in ("postgresql", "postgres"):
        settings = Settings.from_env({**BASE, "DATABASE_URL": f"{scheme}://bot:hunter2@db:5432/imagine"})
        assert settings.database.dialect is Dialect.POSTGRES
        assert settings.database.target == "postgresql://bot:hunter2@db:5432/imagine"
        assert settings.database.safe == "postgresql://bot:***@db:5432/imagine"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_URL": "sqlite:///:memory:"}, "must not be sqlite:///:memory:"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL is not supported"),
        ({"SHARD_IDS": "0,1"}, "SHARD_IDS needs SHARD_COUNT"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,2"}, "SHARD_IDS must be distinct numbers from 0 to 1"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "1,1"}, "SHARD_IDS must be distinct"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT must be a whole number of at least 1"),
        ({"JOB_LEASE_SECONDS": "-1"}, "JOB_LEASE_SECONDS must be a positive number"),
    ],
)
def test_scale_out_settings_are_validated(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(named)):
        Settings.from_env({**BASE, **env})


def test_shards_are_read() -> None:
    settings = Settings.from_env({**BASE, "SHARD_COUNT": "4", "SHARD_IDS": "2, 3"})
    assert (settings.shard_count, settings.shard_ids) == (4, (2, 3))


def test_discord_access_needs_only_the_token() -> None:
    access = DiscordAccess.from_env({"DISCORD_TOKEN": "abc.def.ghi"})
    assert access.token.get() == "abc.def.ghi" and access.api_base_url is None
    assert Settings.from_env(BASE).discord_access == access
    with pytest.raises(SettingsError, match=r"^DISCORD_TOKEN is not set"):
        DiscordAccess.from_env({"GATEWAY_API_KEY": "k"})
    with pytest.raises(SettingsError, match=r"^DISCORD_API_BASE_URL must be an http"):
        DiscordAccess.from_env({"DISCORD_TOKEN": "t", "DISCORD_API_BASE_URL": "ws://x"})


def test_reading_settings_touches_no_files(tmp_path: Path) -> None:
    Settings.from_env({**BASE, "DATA_DIR": str(tmp_path / "not" / "yet")})
    assert list(tmp_path.iterdir()) == []


def test_a_missing_data_dir_is_created(tmp_path: Path) -> None:
    ensure_data_dir(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir() and list((tmp_path / "a" / "b").iterdir()) == []  # the probe is gone


def _data_dir_error(path: Path) -> str:
    with pytest.raises(SettingsError) as info:
        ensure_data_dir(path)
    message = str(info.value)
    assert message.startswith(f"DATA_DIR {path} ") and message.endswith(".") and message.count(". ") == 0
    return message


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    assert "is not a directory" in _data_dir_error(tmp_path / "file")
    assert "cannot be created (Not a directory)" in _data_dir_error(tmp_path / "file" / "data")


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs")
def test_a_data_dir_nobody_can_write_is_refused_even_for_root() -> None:
    # sysfs refuses new files to root too, whatever os.access says: the write probe is what tells.
    assert "is not writable" in _data_dir_error(Path("/sys/kernel"))


def _setting_names() -> set[str]:
    return {field.upper() for field in Settings.__dataclass_fields__}


def test_env_example_documents_every_setting_with_only_the_required_ones_set() -> None:
    lines = (PROJECT / ".env.example").read_text().splitlines()
    assigned = [line for line in lines if re.match(r"^[A-Z_]+=", line)]
    assert assigned == ["DISCORD_TOKEN=", "GATEWAY_API_KEY="]  # every default stays commented out
    examples = dict(line.removeprefix("# ").split("=", 1) for line in lines if re.match(r"^# [A-Z_]+=", line))
    assert set(examples) | {"DISCORD_TOKEN", "GATEWAY_API_KEY"} == _setting_names()
    Settings.from_env({**BASE, **examples})  # and each shown value is one the bot accepts


def test_readme_documents_every_setting() -> None:
    readme = (PROJECT / "README.md").read_text()
    assert {name for name in _setting_names() if f"| `{name}` |" not in readme} == set()


def test_allowance_ceilings_are_read() -> None:
    settings = Settings.from_env(
        {**BASE, "DEFAULT_MEMBER_DAILY_IMAGES": "20", "DEFAULT_SERVER_DAILY_IMAGES": "0", "ALLOW_DMS": "true",
         "DM_DAILY_IMAGES": "3"}
    )  # fmt: skip
    assert settings.ceilings == Ceilings(member_daily=20, server_daily=None, dm_daily=3, allow_dms=True)
    assert Settings.from_env(BASE).ceilings == Ceilings()  # unlimited, and no direct messages


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEFAULT_MEMBER_DAILY_IMAGES": "-1"}, "DEFAULT_MEMBER_DAILY_IMAGES must be a whole number of images"),
        ({"DM_DAILY_IMAGES": "ten"}, "DM_DAILY_IMAGES must be a whole number of images"),
        ({"ALLOW_DMS": "maybe"}, "ALLOW_DMS must be true or false"),
    ],
)
def test_allowance_settings_are_validated(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(named)):
        Settings.from_env({**BASE, **env})
