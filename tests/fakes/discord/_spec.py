"""Validate request bodies against Discord's official OpenAPI description (vendored in tests/contracts).

Two implementations of the same JSON Schema check run here: ``jsonschema-rs`` gives the verdict
(a Components V2 card in ~20 µs), and ``jsonschema``, the reference implementation, looks again at
every body the first refuses and is the one that refuses it, with its explanation. A body the
reference implementation accepts is therefore never refused, and
``tests/unit/test_fake_discord_spec.py`` shows the two agree on valid and broken bodies. The local
Discord runs on the bench's cores beside the bot; at ~6 ms per card in ``jsonschema`` alone it cost
more CPU per job than the bot it measures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

from tests.paths import DISCORD_OPENAPI

from ._errors import DiscordError

# The test suite sets this: every body is then checked by both implementations, and a body they
# judge differently is recorded (and fails the test). The bench leaves it off.
CROSS_CHECK = False


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
        self._verdicts: dict[tuple[str, str], jsonschema_rs.Draft202012Validator] = {}
        self.disagreements: list[str] = []  # bodies the two implementations judged differently

    def validate(self, method: str, template: str, body: Any) -> None:
        """Raise a 400 ``DiscordError`` (50035) if ``body`` breaks the operation's schema."""
        validator = self._validator(method.lower(), template)
        if validator is None:
            return
        valid = self._verdict(method.lower(), template, validator).is_valid(body)
        if valid and not CROSS_CHECK:
            return
        error = jsonschema.exceptions.best_match(validator.iter_errors(body))
        if valid != (error is None):  # only looked for under CROSS_CHECK, or when the fast check refused
            self.disagreements.append(f"{method} {template}: jsonschema-rs says valid={valid}, jsonschema {error}")
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

    def _verdict(
        self, method: str, template: str, validator: jsonschema.Validator
    ) -> jsonschema_rs.Draft202012Validator:
        key = (method, template)
        if key not in self._verdicts:  # formats unasserted and nothing fetched, as in ``jsonschema``
            self._verdicts[key] = jsonschema_rs.Draft202012Validator(
                validator.schema, validate_formats=False, offline=True
            )
        return self._verdicts[key]

    def _build(self, method: str, template: str) -> jsonschema.Validator | None:
        operation = self._document.get("paths", {}).get(template, {}).get(method)
        if operation is None:
            return None
        content = operation.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            return None
        root = {**_components(self), **schema}
        return _DiscriminatedValidator(root)


def _discriminated_one_of(
    validator: jsonschema.Validator, one_of: list[dict[str, Any]], instance: Any, schema: dict[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    """``oneOf`` that first picks the branch by the instance's ``type`` (as Discord's component unions allow).

    Every branch of a component union pins ``type`` to its own values, so the branches that do not
    list the instance's ``type`` fail on it anyway: validating only the one that does gives the same
    verdict at a fraction of the cost (a Components V2 card went from ~11 ms to well under one). When
    that branch fails, or the union cannot be told apart by ``type``, the standard ``oneOf`` runs and
    reports exactly as it always did.
    """
    branch = _branch_for(validator, one_of, instance)
    if branch is not None and next(validator.descend(instance, one_of[branch], schema_path=branch), None) is None:
        return
    yield from _ONE_OF(validator, one_of, instance, schema)


def _branch_for(validator: jsonschema.Validator, one_of: list[dict[str, Any]], instance: Any) -> int | None:
    """The only branch whose ``type`` admits ``instance["type"]``, if every branch pins ``type``."""
    if not isinstance(instance, dict) or not isinstance(instance.get("type"), int):
        return None
    key = id(one_of)
    if key not in _TYPES:
        _TYPES[key] = [_pinned_types(validator, branch) for branch in one_of]
    pinned = _TYPES[key]
    if any(types is None for types in pinned):
        return None
    matching = [index for index, types in enumerate(pinned) if types is not None and instance["type"] in types]
    return matching[0] if len(matching) == 1 else None


def _pinned_types(validator: jsonschema.Validator, branch: dict[str, Any]) -> frozenset[int] | None:
    if "$ref" in branch:
        branch = validator._resolver.lookup(branch["$ref"]).contents  # type: ignore[attr-defined]
    kind = branch.get("properties", {}).get("type", {}) if isinstance(branch, dict) else {}
    values = kind.get("enum", [kind["const"]] if "const" in kind else None)
    return frozenset(values) if values and all(isinstance(v, int) for v in values) else None


_ONE_OF = jsonschema.Draft202012Validator.VALIDATORS["oneOf"]
_TYPES: dict[int, list[frozenset[int] | None]] = {}  # per oneOf list of the (never freed) document
_DiscriminatedValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"oneOf": _discriminated_one_of}
)


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
