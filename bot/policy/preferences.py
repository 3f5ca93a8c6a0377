"""A member's personal defaults (`/preferences`), per model, as data with a JSON form. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from .model import ModelDefaults, ModelKey

PREFERENCES_VERSION = 1


@dataclass(frozen=True, slots=True)
class MemberPreferences:
    """One member's defaults per model (bot-wide: they follow the member to every server and DMs)."""

    defaults: Mapping[ModelKey, ModelDefaults] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))

    def for_model(self, model: ModelKey) -> ModelDefaults | None:
        """The member's defaults for a model, if any."""
        return self.defaults.get(model)

    def with_defaults(self, model: ModelKey, defaults: ModelDefaults) -> MemberPreferences:
        """Replace the member's defaults for a model; empty defaults clear them."""
        out = dict(self.defaults)
        if defaults.is_empty():
            out.pop(model, None)
        else:
            out[model] = defaults
        return replace(self, defaults=out)

    def to_dict(self) -> dict[str, Any]:
        """Encode as JSON-ready data."""
        return {
            "version": PREFERENCES_VERSION,
            "defaults": {model: d.to_dict() for model, d in sorted(self.defaults.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MemberPreferences:
        """Decode; missing or unknown keys are tolerated."""
        found = data.get("defaults") or {}
        return cls({model: ModelDefaults.from_dict(d) for model, d in found.items() if isinstance(d, Mapping)})
