"""The model catalogue: each model described once; commands, validation and UI read it."""

from .edit import SAME_AS_INPUT, EditInput, EditOptions, EditSpec, ImageFormat, image_field
from .errors import InvalidOption
from .models import CATALOGUE, QWEN, WAN, spec_for_model
from .regions import Region, bbox_list_for, region_box
from .spec import SEED_MAX, Feature, ImagineOptions, ModelSpec, SizeSuggestion

__all__ = [
    "CATALOGUE",
    "QWEN",
    "SAME_AS_INPUT",
    "SEED_MAX",
    "WAN",
    "EditInput",
    "EditOptions",
    "EditSpec",
    "Feature",
    "ImageFormat",
    "ImagineOptions",
    "InvalidOption",
    "ModelSpec",
    "Region",
    "SizeSuggestion",
    "bbox_list_for",
    "image_field",
    "region_box",
    "spec_for_model",
]
