"""Precedence of defaults: model → server → channel → member preference → typed, field by field."""

from __future__ import annotations

import pytest

from bot.catalogue import QWEN, WAN, ImagineOptions, InvalidOption, ModelSpec
from bot.gateway.models import GenerationRequest
from bot.policy import DefaultField, Effective, ModelDefaults, Source, apply_defaults, effective_view


def resolve(
    spec: ModelSpec,
    *,
    server: ModelDefaults | None = None,
    channel: ModelDefaults | None = None,
    preference: ModelDefaults | None = None,
    **typed: object,
) -> ImagineOptions:
    options = ImagineOptions(**{"prompt": "a cat", **typed})
    return apply_defaults(spec.key, options, server=server, channel=channel, preference=preference)


def build(options: ImagineOptions, spec: ModelSpec) -> GenerationRequest:
    return spec.build_request(options, random_seed=lambda: 42)


def test_nothing_set_leaves_the_model_defaults() -> None:
    options = resolve(WAN)
    assert options == ImagineOptions(prompt="a cat")
    request = build(options, WAN)
    assert (request.size, request.n, request.thinking_mode, request.watermark) == ("2K", 1, True, False)


def test_each_level_overrides_the_one_below() -> None:
    server, channel, preference = ModelDefaults(size="1K"), ModelDefaults(size="2K"), ModelDefaults(size="4K")
    assert resolve(WAN, server=server).size == "1K"
    assert resolve(WAN, server=server, channel=channel).size == "2K"
    assert resolve(WAN, server=server, channel=channel, preference=preference).size == "4K"
    assert resolve(WAN, server=server, channel=channel, preference=preference, size="1024*1024").size == "1024*1024"


def test_levels_merge_field_by_field() -> None:
    options = resolve(
        QWEN,
        server=ModelDefaults(size="1024*1024", count=2, watermark=True),
        channel=ModelDefaults(count=3),
        preference=ModelDefaults(prompt_extend=False),
    )
    assert (options.size, options.n, options.watermark, options.prompt_extend) == ("1024*1024", 3, True, False)


def test_typed_false_beats_a_default_true() -> None:
    server = ModelDefaults(watermark=True, prompt_extend=True)
    options = resolve(QWEN, server=server, preference=server, watermark=False, prompt_extend=False)
    assert (options.watermark, options.prompt_extend) == (False, False)
    assert build(options, QWEN).prompt_extend is False


def test_a_false_default_beats_a_lower_true_one() -> None:
    options = resolve(QWEN, server=ModelDefaults(watermark=True), preference=ModelDefaults(watermark=False))
    assert options.watermark is False


def test_defaults_the_model_does_not_support_are_ignored() -> None:
    wan_only = ModelDefaults(thinking_mode=True, sequential=True)
    options = resolve(QWEN, server=wan_only, preference=wan_only)
    assert (options.thinking_mode, options.sequential) == (None, None)
    build(options, QWEN)  # the catalogue would reject either option for qwen
    options = resolve(WAN, server=ModelDefaults(prompt_extend=False))
    assert options.prompt_extend is None
    build(options, WAN)


def test_typed_unsupported_options_are_kept_for_the_catalogue_to_report() -> None:
    options = resolve(QWEN, thinking_mode=True)
    with pytest.raises(InvalidOption):
        build(options, QWEN)


def test_count_default_too_big_without_image_set_mode_falls_to_the_level_below() -> None:
    options = resolve(WAN, server=ModelDefaults(count=2), preference=ModelDefaults(count=8))
    assert options.n == 2
    options = resolve(WAN, server=ModelDefaults(count=2), preference=ModelDefaults(count=8), sequential=True)
    assert options.n == 8
    assert build(options, WAN).n == 8


def test_size_default_not_allowed_in_image_set_mode_falls_to_the_level_below() -> None:
    options = resolve(WAN, server=ModelDefaults(size="2K"), channel=ModelDefaults(size="4K"), sequential=True)
    assert options.size == "2K"
    assert resolve(WAN, channel=ModelDefaults(size="4K"), sequential=True).size is None
    assert resolve(WAN, channel=ModelDefaults(size="4K")).size == "4K"


def test_thinking_default_is_dropped_in_image_set_mode() -> None:
    options = resolve(WAN, server=ModelDefaults(sequential=True, thinking_mode=True))
    assert (options.sequential, options.thinking_mode) == (True, None)
    assert build(options, WAN).thinking_mode is None


@pytest.mark.parametrize(
    "typed",
    [{"palette": "#ff0000, #00ff00, #0000ff"}, {"thinking_mode": True}, {"size": "4K"}],
)
def test_image_set_default_is_skipped_when_the_typed_options_rule_it_out(typed: dict[str, object]) -> None:
    options = resolve(WAN, server=ModelDefaults(sequential=True), **typed)
    assert options.sequential is None
    build(options, WAN)


def test_image_set_off_preference_is_skipped_for_a_typed_count_only_image_sets_allow() -> None:
    options = resolve(WAN, server=ModelDefaults(sequential=True), preference=ModelDefaults(sequential=False), n=8)
    assert options.sequential is True
    assert build(options, WAN).n == 8


def test_effective_view_names_each_source() -> None:
    view = effective_view(
        "wan",
        server=ModelDefaults(size="1K", watermark=True),
        channel=ModelDefaults(count=3),
        preference=ModelDefaults(thinking_mode=False),
    )
    assert view == (
        Effective(DefaultField.SIZE, "1K", Source.SERVER),
        Effective(DefaultField.COUNT, 3, Source.CHANNEL),
        Effective(DefaultField.THINKING_MODE, False, Source.MEMBER),
        Effective(DefaultField.SEQUENTIAL, False, Source.BOT_DEFAULT),
        Effective(DefaultField.WATERMARK, True, Source.SERVER),
    )


def test_effective_view_of_a_bare_model_shows_its_own_defaults_and_only_its_options() -> None:
    view = {e.field: e for e in effective_view("qwen", server=None)}
    assert set(view) == {DefaultField.SIZE, DefaultField.COUNT, DefaultField.PROMPT_EXTEND, DefaultField.WATERMARK}
    assert view[DefaultField.SIZE] == Effective(DefaultField.SIZE, QWEN.default_size, Source.BOT_DEFAULT)
    assert view[DefaultField.PROMPT_EXTEND].value is QWEN.default_prompt_extend


def test_effective_view_shows_thinking_as_not_applicable_in_image_set_mode() -> None:
    view = {e.field: e for e in effective_view("wan", server=ModelDefaults(sequential=True))}
    assert view[DefaultField.SEQUENTIAL] == Effective(DefaultField.SEQUENTIAL, True, Source.SERVER)
    assert view[DefaultField.THINKING_MODE] == Effective(DefaultField.THINKING_MODE, None, Source.BOT_DEFAULT)
