"""The local Discord's schema check: a union's branch picked by ``type``, and the fast verdict, change no verdict."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import jsonschema_rs
import pytest

from bot.ui.layout import result_layout
from tests.fakes.discord import _spec
from tests.fakes.discord._errors import DiscordError
from tests.fakes.discord._spec import OpenApiValidator, load_validator
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


@pytest.mark.parametrize("body", [card(), *broken_cards()])
def test_the_fast_verdict_agrees_with_the_reference_implementation(body: dict[str, Any]) -> None:
    checker = load_validator(DISCORD_OPENAPI)
    standard = checker._validator("patch", TEMPLATE)
    assert standard is not None
    assert checker._verdict("patch", TEMPLATE, standard).is_valid(body) is standard.is_valid(body)


def test_a_body_the_checkers_judge_differently_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_spec, "CROSS_CHECK", True)  # as in the test suite
    checker = OpenApiValidator(DISCORD_OPENAPI)
    standard = checker._validator("patch", TEMPLATE)
    assert standard is not None
    checker._verdicts[("patch", TEMPLATE)] = jsonschema_rs.Draft202012Validator({})  # accepts anything
    with pytest.raises(DiscordError):  # the reference implementation still refuses it
        checker.validate("PATCH", TEMPLATE, broken_cards()[1])
    assert len(checker.disagreements) == 1 and "valid=True" in checker.disagreements[0]


def test_without_the_cross_check_a_refusal_is_still_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_spec, "CROSS_CHECK", False)  # as in the bench
    checker = load_validator(DISCORD_OPENAPI)
    checker.validate("PATCH", TEMPLATE, card())
    with pytest.raises(DiscordError) as refused:
        checker.validate("PATCH", TEMPLATE, broken_cards()[1])
    assert refused.value.status == 400 and "is not of type 'string'" in str(refused.value.errors)
