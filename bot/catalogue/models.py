"""The two models the gateway serves, each described once (see docs/gateway.md)."""

from __future__ import annotations

from types import MappingProxyType

from .edit import EditSpec, ImageFormat
from .sizes import SizeRule
from .spec import Feature, ModelSpec

_MIB = 1024 * 1024

QWEN = ModelSpec(
    key="qwen",
    model_id="qwen-image-2.0-pro",
    display_name="Qwen Image 2.0 Pro",
    prompt_max=800,
    negative_prompt_max=500,
    features=frozenset({Feature.NEGATIVE_PROMPT, Feature.PROMPT_EXTEND}),
    sizes=SizeRule(min_side_pixels=512, max_side_pixels=2048, presets=MappingProxyType({})),
    default_size="2048*2048",
    max_n=6,
    edit=EditSpec(
        max_images=3,
        # GIF: only its first frame is used.
        formats=frozenset(ImageFormat),
        max_bytes=10 * _MIB,
        sizes=SizeRule(min_side_pixels=512, max_side_pixels=2048, presets=MappingProxyType({})),
        default_size="2048*2048",
        max_n=6,
        features=frozenset({Feature.NEGATIVE_PROMPT, Feature.PROMPT_EXTEND}),
        instruction_max=800,
        negative_prompt_max=500,
        # 384–3072 px per side is only recommended by the contract: not a rule.
    ),
    ratio_sizes=MappingProxyType(
        {
            "1:1": "2048*2048",
            "16:9": "2688*1536",
            "9:16": "1536*2688",
            "4:3": "2368*1728",
            "3:4": "1728*2368",
            "3:2": "2496*1664",
            "2:3": "1664*2496",
            "21:9": "3024*1296",
        }
    ),
)

_WAN_PRESETS = MappingProxyType({"1K": (1024, 1024), "2K": (2048, 2048), "4K": (4096, 4096)})
# Image-set mode and edits: no 4K, at most 2048² pixels.
_WAN_UP_TO_2K = SizeRule(
    min_side_pixels=768,
    max_side_pixels=2048,
    presets=MappingProxyType({k: v for k, v in _WAN_PRESETS.items() if k != "4K"}),
    max_aspect=8.0,
)

WAN = ModelSpec(
    key="wan",
    model_id="wan2.7-image-pro",
    display_name="Wan 2.7 Image Pro",
    prompt_max=5000,
    features=frozenset({Feature.THINKING_MODE, Feature.SEQUENTIAL, Feature.COLOR_PALETTE}),
    sizes=SizeRule(min_side_pixels=768, max_side_pixels=4096, presets=_WAN_PRESETS, max_aspect=8.0),
    sequential_sizes=_WAN_UP_TO_2K,
    default_size="2K",
    max_n=4,
    max_n_sequential=12,
    edit=EditSpec(
        max_images=9,
        formats=frozenset({ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.BMP, ImageFormat.WEBP}),
        max_bytes=20 * _MIB,
        sizes=_WAN_UP_TO_2K,
        default_size="2K",
        max_n=4,
        # negative_prompt: in the edit contract's OpenAPI (wan-edit.json), not in text-to-image's.
        features=frozenset({Feature.NEGATIVE_PROMPT, Feature.BBOX_LIST}),
        instruction_max=5000,
        negative_prompt_max=500,
        input_sides=(240, 8000),
        input_max_aspect=8.0,
        flatten_alpha=True,  # "PNG (no alpha channel)"
        max_boxes=2,
    ),
    ratio_sizes=MappingProxyType(
        {
            "16:9": "2560*1440",
            "9:16": "1440*2560",
            "4:3": "2304*1728",
            "3:4": "1728*2304",
            "3:2": "2496*1664",
            "2:3": "1664*2496",
            "21:9": "2688*1152",
        }
    ),
)

CATALOGUE: MappingProxyType[str, ModelSpec] = MappingProxyType({spec.key: spec for spec in (QWEN, WAN)})


def spec_for_model(model_id: str) -> ModelSpec:
    """Find a model's description by its wire name (as stored with each generation)."""
    for spec in CATALOGUE.values():
        if spec.model_id == model_id:
            return spec
    raise KeyError(model_id)
