"""The model catalogue: each model described once; commands, validation and UI read it."""

from .errors import InvalidOption
from .models import CATALOGUE, QWEN, WAN, spec_for_model
from .spec import SEED_MAX, Feature, ImagineOptions, ModelSpec, SizeSuggestion

__all__ = [
    "CATALOGUE",
    "QWEN",
    "SEED_MAX",
    "WAN",
    "Feature",
    "ImagineOptions",
    "InvalidOption",
    "ModelSpec",
    "SizeSuggestion",
    "spec_for_model",
]
