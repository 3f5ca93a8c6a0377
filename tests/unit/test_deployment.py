"""compose.yaml describes the deployment the README promises (there is no Docker engine to run it here)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.paths import PROJECT


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    document = yaml.safe_load((PROJECT / "compose.yaml").read_text())
    return dict(document["services"])


def test_bot_and_workers_share_postgresql_and_wait_for_it_to_be_healthy(services: dict[str, Any]) -> None:
    assert set(services) == {"bot", "worker", "postgres"}
    for name in ("bot", "worker"):
        service = services[name]
        assert service["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://imagine:")
        assert "@postgres:5432/imagine" in service["environment"]["DATABASE_URL"]
        assert service["image"] == "imagine-bot" and "data:/data" in service["volumes"]
    assert services["worker"]["command"] == ["imagine-bot", "worker"]
    assert "command" not in services["bot"]  # the image's default: the bot with its gateway connection
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_the_bot_containers_are_locked_down(services: dict[str, Any]) -> None:
    for name in ("bot", "worker"):
        service = services[name]
        assert service["read_only"] is True and service["tmpfs"] == ["/tmp"]
        assert service["cap_drop"] == ["ALL"] and service["security_opt"] == ["no-new-privileges:true"]
        assert service["init"] is True and service["mem_limit"]
        assert service["logging"]["options"] == {"max-size": "10m", "max-file": "5"}


def test_workers_can_be_scaled(services: dict[str, Any]) -> None:
    # `--scale worker=3` needs a service without a fixed container name or published host port.
    worker = services["worker"]
    assert "container_name" not in worker and "ports" not in worker
