"""Edits of members' images through the catalogue: every rule of the edit endpoints, by key and value."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pytest
from PIL import Image

from bot.catalogue import QWEN, SAME_AS_INPUT, WAN, EditOptions, ImageFormat, InvalidOption, ModelSpec, Region
from bot.catalogue.edit import fit_pixels
from bot.gateway.datauri import data_uri
from bot.gateway.models import GenerationRequest, ImageSource
from tests.fakes.gateway import validate_edit

MIB = 1024 * 1024


@dataclass(frozen=True)
class Input:
    """An input image as the catalogue sees it (CheckedImage and StoredInput both look like this)."""

    digest: str = "a" * 64
    media_type: str = "image/png"
    width: int = 1024
    height: int = 768
    byte_size: int = 100_000


def edit(spec: ModelSpec, inputs: list[Input] | None = None, **options: object) -> GenerationRequest:
    chosen = [Input()] if inputs is None else inputs
    return spec.build_edit(EditOptions(**{"instruction": "make it blue", **options}), chosen, random_seed=lambda: 42)


def refusal(spec: ModelSpec, inputs: list[Input] | None = None, **options: object) -> tuple[str, str, dict, object]:
    with pytest.raises(InvalidOption) as info:
        edit(spec, inputs, **options)
    error = info.value
    return error.field, error.rule.key, dict(error.rule.values), error.value


def test_an_edit_names_its_inputs_in_order_and_sends_the_instruction() -> None:
    first, second = Input(digest="1" * 64), Input(digest="2" * 64, media_type="image/jpeg")
    request = edit(QWEN, [first, second], n=2, seed=7, negative_prompt=" blur ", watermark=True)
    assert request.inputs == ("1" * 64, "2" * 64)
    assert (request.prompt, request.n, request.seed, request.watermark) == ("make it blue", 2, 7, True)
    assert (request.negative_prompt, request.prompt_extend, request.bbox_list) == ("blur", True, None)
    payload = request.to_payload("url", ["data:image/png;base64,AA==", "data:image/jpeg;base64,AA=="])
    content = payload["input"]["messages"][0]["content"]
    assert content == [
        {"image": "data:image/png;base64,AA=="},
        {"image": "data:image/jpeg;base64,AA=="},
        {"text": "make it blue"},
    ]
    with pytest.raises(ValueError, match="2 input images"):
        request.to_payload("url", ["data:image/png;base64,AA=="])  # the store must give every input


@pytest.mark.parametrize(("spec", "most"), [(QWEN, 3), (WAN, 9)])
def test_the_image_count_is_the_models(spec: ModelSpec, most: int) -> None:
    assert len(edit(spec, [Input()] * most).inputs) == most
    assert refusal(spec, [Input()] * (most + 1)) == (
        "images",
        "rule.edit.image_count",
        {"max": most, "model": spec.display_name},
        most + 1,
    )
    assert refusal(spec, [])[:2] == ("image", "rule.edit.image_required")


@pytest.mark.parametrize(
    ("spec", "media_type", "accepted"),
    [
        (QWEN, "image/gif", True),
        (QWEN, "image/tiff", True),
        (QWEN, "image/bmp", True),
        (WAN, "image/gif", False),
        (WAN, "image/tiff", False),
        (WAN, "image/webp", True),
        (WAN, "image/jpeg", True),
        (QWEN, "image/x-icon", False),
    ],
)
def test_formats_are_the_models(spec: ModelSpec, media_type: str, accepted: bool) -> None:
    inputs = [Input(), Input(media_type=media_type)]
    if accepted:
        assert edit(spec, inputs).inputs
    else:
        field, key, values, value = refusal(spec, inputs)
        assert (field, key, value) == ("image2", "rule.edit.format", media_type)
        assert values == {"formats": spec.edit.format_labels}


@pytest.mark.parametrize(("spec", "limit"), [(QWEN, 10), (WAN, 20)])
def test_bytes_per_image(spec: ModelSpec, limit: int) -> None:
    assert edit(spec, [Input(byte_size=limit * MIB)]).inputs
    field, key, values, _ = refusal(spec, [Input(), Input(), Input(byte_size=limit * MIB + 1)])
    assert (field, key, values) == ("image3", "rule.edit.too_large", {"limit_mib": limit})


@pytest.mark.parametrize(
    ("width", "height", "key"),
    [(239, 1000, "rule.edit.sides"), (1000, 8001, "rule.edit.sides"), (240, 2000, "rule.edit.aspect")],
)
def test_wan_input_sides_and_aspect(width: int, height: int, key: str) -> None:
    assert edit(WAN, [Input(width=240, height=1920)]).inputs  # 1:8 exactly
    assert edit(WAN, [Input(width=8000, height=8000)]).inputs
    field, rule, values, value = refusal(WAN, [Input(width=width, height=height)])
    assert (field, rule, value) == ("image", key, f"{width}×{height}")
    assert (values["width"], values["height"]) == (width, height)


def test_qwen_has_no_side_rule_only_a_recommendation() -> None:
    assert edit(QWEN, [Input(width=100, height=5000)]).inputs


@pytest.mark.parametrize(
    ("spec", "width", "height", "size"),
    [
        (QWEN, 1024, 768, "1024*768"),  # within range: the input's own size
        (QWEN, 300, 300, "512*512"),  # too few pixels: scaled up, aspect kept
        (QWEN, 4000, 3000, "2364*1774"),
        (WAN, 4000, 3000, "2364*1774"),
        (WAN, 500, 500, "768*768"),
        (WAN, 1001, 999, "1001*999"),
    ],
)
def test_same_as_input_follows_the_last_image(spec: ModelSpec, width: int, height: int, size: str) -> None:
    inputs = [Input(width=800, height=800), Input(width=width, height=height)]
    assert edit(spec, inputs).size == size
    assert edit(spec, inputs, size=SAME_AS_INPUT).size == size
    assert edit(spec, inputs, size=" Input ").size == size


def test_fitting_keeps_within_the_range_whatever_the_rounding() -> None:
    rule = WAN.edit.sizes
    for width, height in [(7999, 1001), (240, 1920), (8000, 8000), (241, 241), (3001, 2999), (1, 1)]:
        w, h = fit_pixels(width, height, rule)
        assert rule.min_side_pixels**2 <= w * h <= rule.max_side_pixels**2


def test_typed_sizes_use_the_edit_rule() -> None:
    assert edit(WAN, size="1k").size == "1K"
    assert edit(WAN, size="1536*1024").size == "1536*1024"
    assert refusal(WAN, size="4K")[:2] == ("size", "rule.size.pixels")
    assert refusal(QWEN, size="2049*2048")[:2] == ("size", "rule.size.pixels")


@pytest.mark.parametrize(("spec", "most"), [(QWEN, 6), (WAN, 4)])
def test_counts(spec: ModelSpec, most: int) -> None:
    assert edit(spec, n=most).n == most
    assert refusal(spec, n=most + 1) == ("count", "rule.count.range", {"max": most}, most + 1)
    assert refusal(spec, n=0)[:2] == ("count", "rule.count.range")


def test_instruction_seed_and_negative_prompt_rules() -> None:
    assert refusal(QWEN, instruction="  ")[:2] == ("instruction", "rule.not_empty")
    assert refusal(QWEN, instruction="x" * 801)[:3] == (
        "instruction",
        "rule.max_characters",
        {"limit": 800, "length": 801},
    )
    assert len(edit(WAN, instruction="x" * 5000).prompt) == 5000
    assert refusal(WAN, seed=2_147_483_648)[:2] == ("seed", "rule.seed")
    assert edit(WAN, seed=0).seed == 0
    assert refusal(QWEN, negative_prompt="n" * 501)[:2] == ("negative_prompt", "rule.max_characters")
    assert edit(WAN, negative_prompt="rust").negative_prompt == "rust"
    assert edit(QWEN, negative_prompt="   ").negative_prompt is None


def test_fields_a_model_does_not_take_are_refused() -> None:
    assert refusal(WAN, prompt_extend=False) == (
        "prompt_extend",
        "rule.unsupported",
        {"model": WAN.display_name},
        False,
    )
    assert refusal(QWEN, region=Region.LEFT_HALF)[:2] == ("region", "rule.unsupported")
    assert refusal(QWEN, bbox_list=(((0, 0, 5, 5),),))[:2] == ("region", "rule.unsupported")
    assert edit(QWEN, prompt_extend=False).prompt_extend is False
    assert edit(WAN).prompt_extend is None


def test_a_region_becomes_the_bbox_list_of_its_image() -> None:
    inputs = [Input(width=1001, height=600), Input(width=2000, height=1000)]
    request = edit(WAN, inputs, region=Region.RIGHT_HALF, region_image=1)
    assert request.bbox_list == ((), ((1000, 0, 1999, 999),))
    payload = request.to_payload("url", ["data:image/png;base64,AA=="] * 2)
    assert payload["bbox_list"] == [[], [[1000, 0, 1999, 999]]]
    assert refusal(WAN, inputs, region=Region.CENTRE, region_image=2) == (
        "region",
        "rule.edit.region_image",
        {"images": 2},
        3,
    )


def test_stored_boxes_are_checked_against_the_images() -> None:
    box = (0, 0, 100, 100)
    assert edit(WAN, bbox_list=((box, (10, 10, 20, 20)),)).bbox_list == ((box, (10, 10, 20, 20)),)
    assert refusal(WAN, bbox_list=((box, box, box),))[:3] == ("region", "rule.edit.boxes", {"max": 2})
    assert refusal(WAN, bbox_list=((box,), ()))[:2] == ("region", "rule.edit.boxes")  # two lists, one image
    assert refusal(WAN, bbox_list=(((0, 0, 1024, 10),),))[:2] == ("region", "rule.edit.boxes")  # x2 = width
    assert refusal(WAN, bbox_list=(((6, 0, 5, 10),),))[:2] == ("region", "rule.edit.boxes")  # x2 before x1
    assert edit(WAN, bbox_list=(((5, 5, 5, 5),),)).bbox_list == (((5, 5, 5, 5),),)  # one pixel
    assert refusal(WAN, region=Region.TOP_HALF, bbox_list=((box,),))[:2] == ("region", "rule.edit.region_and_boxes")


@pytest.mark.parametrize("spec", [QWEN, WAN])
def test_every_edit_the_catalogue_builds_passes_the_local_gateways_contract(spec: ModelSpec) -> None:
    sizes = [(640, 480), (480, 640)]
    region = {"region": Region.BOTTOM_RIGHT, "region_image": 1} if spec is WAN else {}
    request = edit(spec, [Input(width=w, height=h) for w, h in sizes], n=2, **region)
    body = request.to_payload("b64_json", [data_uri(png(w, h)) for w, h in sizes])
    width, height = (480, 640) if spec is QWEN else (665, 887)  # the last input's shape (wan: scaled up)
    assert validate_edit(body) == (spec.model_id, "make it blue", width, height, 2)


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(out, format="PNG")
    return out.getvalue()


def test_stored_requests_round_trip_and_old_ones_still_load() -> None:
    request = edit(WAN, [Input(digest="1" * 64), Input(digest="2" * 64)], region=Region.TOP_LEFT)
    assert GenerationRequest.from_dict(json.loads(json.dumps(request.to_dict()))) == request
    old = {"model": QWEN.model_id, "prompt": "p", "size": "1024*1024", "n": 1, "seed": 3, "watermark": False}
    loaded = GenerationRequest.from_dict(old | {"source": {"channel_id": 1, "message_id": 2, "filename": "x_1.png"}})
    assert (loaded.inputs, loaded.bbox_list, loaded.source) == ((), None, ImageSource(1, 2, "x_1.png"))
    assert loaded.is_edit and not GenerationRequest.from_dict(old).is_edit


def test_variations_of_an_edit_result_use_that_result_not_its_inputs() -> None:
    parent = edit(WAN, [Input(digest="1" * 64)], region=Region.CENTRE, negative_prompt="rust", n=3)
    variation = WAN.variation(parent, ImageSource(1, 2, "abc_1.png"), seed=5)
    assert (variation.inputs, variation.bbox_list, variation.source) == ((), None, ImageSource(1, 2, "abc_1.png"))
    assert (variation.prompt, variation.n, variation.seed, variation.negative_prompt) == ("make it blue", 3, 5, "rust")


def test_formats_are_media_types() -> None:
    assert ImageFormat("image/png") is ImageFormat.PNG and ImageFormat.JPEG.label == "JPEG"
    assert WAN.edit.format_labels == "JPEG, PNG, BMP, WEBP"
