"""Request bodies against the contract: the seeds' examples and the gateway's OpenAPI schemas."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from typing import Any

import jsonschema
import pytest

from bot.catalogue import QWEN, WAN, ImagineOptions, ModelSpec
from bot.gateway.models import GenerationRequest, ImageSource
from tests.fakes.gateway import validate_body
from tests.paths import GATEWAY_EXAMPLES, GATEWAY_OPENAPI


def seed_examples() -> list[dict[str, Any]]:
    bodies = []
    paths = sorted(GATEWAY_EXAMPLES.glob("*.txt"))
    assert len(paths) == 2, f"the vendored examples are missing from {GATEWAY_EXAMPLES}"
    for path in paths:
        for block in re.findall(r"--data '\s*(\{.*?\})\s*'", path.read_text(), flags=re.S):
            bodies.append(json.loads(block))
    return bodies


def validator(filename: str, schema_name: str) -> jsonschema.Validator:
    document = json.loads((GATEWAY_OPENAPI / filename).read_text())
    root = {**document, "$ref": f"#/components/schemas/{schema_name}"}
    return jsonschema.Draft202012Validator(root)


VALIDATORS = {
    QWEN.key: validator("qwen-text-to-image.json", "TextToImageRequest"),
    WAN.key: validator("wan-text-to-image.json", "WanTextToImageRequest"),
}


def test_seed_examples_are_reproduced() -> None:
    examples = seed_examples()
    assert {e["model"] for e in examples} == {QWEN.model_id, WAN.model_id}
    for example in examples:
        spec = QWEN if example["model"] == QWEN.model_id else WAN
        options = ImagineOptions(
            prompt=example["input"]["messages"][0]["content"][0]["text"],
            size=example["size"],
            n=example["n"],
            watermark=example["watermark"],
            thinking_mode=example.get("thinking_mode"),
            seed=example.get("seed"),
        )
        body = spec.build_request(options, random_seed=lambda: 7).to_payload(example["response_format"])
        overlap = {key: body[key] for key in example}
        assert overlap == example


def option_grid(spec: ModelSpec) -> list[ImagineOptions]:
    """Every combination of the options a model exposes, at representative values."""
    grid: dict[str, list[Any]] = {
        "size": [None, *[s.value for s in spec.size_suggestions()]],
        "n": [1, spec.max_n],
        "seed": [None, 0, 2147483647],
        "watermark": [None, True, False],
    }
    if spec is QWEN:
        grid |= {"negative_prompt": [None, "blurry"], "prompt_extend": [None, True, False]}
    else:
        grid |= {"thinking_mode": [None, False], "sequential": [None, False, True],
                 "palette": [None, "#112233 50, #445566 30, #778899 20"]}  # fmt: skip
    keys = list(grid)
    out = []
    for values in itertools.product(*grid.values()):
        options = dict(zip(keys, values, strict=True))
        if options.get("sequential") and (options.get("palette") or options["size"] == "4K"):
            continue  # illegal combinations, covered by the rule tests
        out.append(ImagineOptions(prompt="a lighthouse at dawn", **options))
    return out


@pytest.mark.parametrize("spec", [QWEN, WAN], ids=lambda s: s.key)
@pytest.mark.parametrize("response_format", ["url", "b64_json"])
def test_every_buildable_body_validates_against_the_openapi_schema(spec: ModelSpec, response_format: str) -> None:
    grid = option_grid(spec)
    assert len(grid) > 100
    for options in grid:
        body = spec.build_request(options, random_seed=lambda: 1).to_payload(response_format)  # type: ignore[arg-type]
        VALIDATORS[spec.key].validate(body)
        validate_body(body)  # the fake gateway's stricter reading of gateway.md
        assert "parameters" not in body and "prompt" not in body
        assert {"size", "n", "seed", "watermark"} <= body.keys()


def test_schema_validator_can_fail() -> None:
    body = QWEN.build_request(ImagineOptions(prompt="x"), random_seed=lambda: 1).to_payload()
    body["n"] = 7
    with pytest.raises(jsonschema.ValidationError):
        VALIDATORS[QWEN.key].validate(body)


def test_stored_request_round_trips() -> None:
    options = ImagineOptions(prompt="p", palette="#000000, #111111, #222222", seed=5)
    request = WAN.build_request(options, random_seed=lambda: 1)
    assert GenerationRequest.from_dict(json.loads(json.dumps(request.to_dict()))) == request
    assert request.with_seed(9).seed == 9 and request.with_seed(9).prompt == "p"


def test_a_stored_request_is_what_asdict_gives() -> None:
    palette = WAN.build_request(ImagineOptions(prompt="p", palette="#000000, #111111, #222222"), random_seed=lambda: 1)
    requests = [
        palette,
        dataclasses.replace(palette, source=ImageSource(1, 2, "a.png")),
        dataclasses.replace(palette, color_palette=None, inputs=("ab", "cd"), bbox_list=(((0, 0, 9, 9),), ())),
    ]
    for request in requests:
        assert request.to_dict() == dataclasses.asdict(request)
        assert json.dumps(request.to_dict()) == json.dumps(dataclasses.asdict(request))
