"""Where the vendored contract documents live (inside the repository: see tests/contracts/README.md)."""

from __future__ import annotations

from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CONTRACTS = PROJECT / "tests" / "contracts"
GATEWAY_OPENAPI = CONTRACTS / "gateway"
GATEWAY_EXAMPLES = GATEWAY_OPENAPI / "examples"
DISCORD_OPENAPI = CONTRACTS / "discord" / "openapi.json"
