"""Where the shared contract documents live (beside the project, as in CI)."""

from __future__ import annotations

from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"
GATEWAY_OPENAPI = SHARED / "reference" / "gateway-openapi"
DISCORD_OPENAPI = SHARED / "reference" / "discord-api-spec" / "openapi.json"
SEEDS = SHARED / "seeds"
