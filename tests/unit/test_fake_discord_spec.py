"""The local Discord's schema check picks a component union's branch by ``type``: same verdicts, same errors."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

from bot.ui.layout import result_layout
from tests.fakes.discord._spec import load_validator
from tests.paths import DISCORD_OPENAPI

TEMPLATE = "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"


def card() -> dict[str, Any]:
    layout = result_layout("abc", "en-US", "**Qwen** · 1 image\n> x", ["abc_1.png", "abc_2.png"], total=2)
    return {"components": layout.to_components(), "flags": 1 << 15, "allowed_mentions": {"parse": []}}


def broken_cards() -> list[dict[str, Any]]:
    cards = []
    for change in (
        lambda c: c["components"][0].update(type=99),  # no such component
        lambda c: c["components"][0]["components"][0].update(content=7),  # text must be a string
        lambda c: c["components"][0]["components"][1].update(items="x"),  # gallery items must be a list
        lambda c: c["components"][0]["components"][2]["components"][0].update(style="big"),  # a button's style
        lambda c: c["components"][0].pop("components"),  # a container without its children
    ):
        broken = copy.deepcopy(card())
        change(broken)
        cards.append(broken)
    return cards


@pytest.mark.parametrize("body", [card(), *broken_cards()])
def test_the_fast_union_check_agrees_with_the_standard_one(body: dict[str, Any]) -> None:
    fast = load_validator(DISCORD_OPENAPI)._validator("patch", TEMPLATE)
    assert fast is not None
    standard = jsonschema.Draft202012Validator(fast.schema)
    assert fast.is_valid(body) is standard.is_valid(body)
    fast_error = jsonschema.exceptions.best_match(fast.iter_errors(body))
    standard_error = jsonschema.exceptions.best_match(standard.iter_errors(body))
    assert (fast_error and (fast_error.message, list(fast_error.absolute_path))) == (
        standard_error and (standard_error.message, list(standard_error.absolute_path))
    )


def test_a_broken_card_is_refused() -> None:
    fast = load_validator(DISCORD_OPENAPI)._validator("patch", TEMPLATE)
    assert fast is not None
    assert fast.is_valid(card()) and not any(fast.is_valid(body) for body in broken_cards())
