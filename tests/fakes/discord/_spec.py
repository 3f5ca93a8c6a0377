"""Validate request bodies against Discord's official OpenAPI description (vendored in tests/contracts)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from tests.paths import DISCORD_OPENAPI

from ._errors import DiscordError


class OpenApiValidator:
    """Looks up an operation's JSON request schema and validates bodies against it."""

    def __init__(self, path: Path) -> None:
        # A missing file is an error, not a reason to validate nothing: the repository ships it.
        self._document: dict[str, Any] = json.loads(path.read_text())
        schemas = self._document.get("components", {}).get("schemas", {})
        if "SnowflakeType" in schemas:
            # The live API also takes snowflakes as JSON integers (discord.py sends new attachments'
            # ids as the integer index); the published schema lists only the string form.
            schemas["SnowflakeType"] = {"anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]}
        self._validators: dict[tuple[str, str], jsonschema.Validator | None] = {}

    def validate(self, method: str, template: str, body: Any) -> None:
        """Raise a 400 ``DiscordError`` (50035) if ``body`` breaks the operation's schema."""
        validator = self._validator(method.lower(), template)
        if validator is None:
            return
        error = jsonschema.exceptions.best_match(validator.iter_errors(body))
        if error is not None:
            where = ".".join(str(p) for p in error.absolute_path) or "_root"
            raise DiscordError(
                400, 50035, "Invalid Form Body",
                {where: {"_errors": [{"code": "OPENAPI_SCHEMA", "message": error.message[:300]}]}},
            )  # fmt: skip

    def _validator(self, method: str, template: str) -> jsonschema.Validator | None:
        key = (method, template)
        if key not in self._validators:
            self._validators[key] = self._build(method, template)
        return self._validators[key]

    def _build(self, method: str, template: str) -> jsonschema.Validator | None:
        operation = self._document.get("paths", {}).get(template, {}).get(method)
        if operation is None:
            return None
        content = operation.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            return None
        root = {**_components(self), **schema}
        return jsonschema.Draft202012Validator(root)


def _components(validator: OpenApiValidator) -> dict[str, Any]:
    return {"components": validator._document.get("components", {})}


@cache
def load_validator(path: Path) -> OpenApiValidator:
    """One parsed copy of the (1 MB) document per process."""
    return OpenApiValidator(path)


@cache
def discord_locales() -> frozenset[str]:
    """The locales Discord knows (``AvailableLocalesEnum`` of the vendored description): ``en-US``, ``zh-CN`` …"""
    schema = load_validator(DISCORD_OPENAPI)._document["components"]["schemas"]["AvailableLocalesEnum"]
    return frozenset(choice["const"] for choice in schema["oneOf"])
