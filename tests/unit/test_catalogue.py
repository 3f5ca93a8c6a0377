"""Every rule of docs/gateway.md, checked through the catalogue the commands use."""

from __future__ import annotations

import pytest

from bot.catalogue import QWEN, WAN, ImagineOptions, InvalidOption, ModelSpec
from bot.catalogue.palette import parse_palette


def build(spec: ModelSpec, **options: object):
    return spec.build_request(ImagineOptions(**{"prompt": "a cat", **options}), random_seed=lambda: 42)


@pytest.mark.parametrize(
    ("typed", "wire"),
    [
        ("1024*1024", "1024*1024"),
        ("1024x768", "1024*768"),
        ("1024X768", "1024*768"),
        ("1024×768", "1024*768"),
        (" 1536 * 2688 ", "1536*2688"),
        ("16:9", "2688*1536"),
        ("512*512", "512*512"),
        ("2048*2048", "2048*2048"),
    ],
)
def test_qwen_sizes_are_normalized(typed: str, wire: str) -> None:
    assert build(QWEN, size=typed).size == wire


@pytest.mark.parametrize("typed", ["511*512", "2049*2048", "4096*1100", "big", "2K", "1024", "7:5"])
def test_qwen_rejects_sizes_outside_its_rule(typed: str) -> None:
    with pytest.raises(InvalidOption) as info:
        build(QWEN, size=typed)
    assert info.value.field == "size"
    assert typed in info.value.message().render("en-US")


@pytest.mark.parametrize(
    ("typed", "wire"),
    [("1k", "1K"), ("2K", "2K"), ("4k", "4K"), ("768*768", "768*768"), ("4096*4096", "4096*4096"),
     ("8192*1024", "8192*1024"), ("16:9", "2560*1440")],
)  # fmt: skip
def test_wan_sizes(typed: str, wire: str) -> None:
    assert build(WAN, size=typed).size == wire


@pytest.mark.parametrize("typed", ["767*767", "4097*4096", "9000*1000", "1024*8193"])
def test_wan_rejects_pixels_and_aspect_outside_range(typed: str) -> None:
    with pytest.raises(InvalidOption, match="size"):
        build(WAN, size=typed)


def test_wan_sequential_has_the_smaller_size_range_and_no_4k() -> None:
    assert build(WAN, sequential=True, size="2048*2048", n=12).size == "2048*2048"
    for size in ("4K", "2049*2048"):
        with pytest.raises(InvalidOption) as info:
            build(WAN, sequential=True, size=size)
        assert "image-set" in info.value.rule.render("en-US")


def test_defaults_are_explicit() -> None:
    qwen = build(QWEN)
    assert (qwen.size, qwen.n, qwen.seed, qwen.watermark, qwen.prompt_extend) == (
        "2048*2048",
        1,
        42,
        False,
        True,
    )
    assert qwen.thinking_mode is None and qwen.enable_sequential is None and qwen.color_palette is None
    wan = build(WAN)
    assert (wan.size, wan.n, wan.thinking_mode, wan.enable_sequential) == ("2K", 1, True, False)
    assert wan.negative_prompt is None and wan.prompt_extend is None


def test_explicit_false_and_zero_are_kept() -> None:
    request = build(QWEN, seed=0, watermark=False, prompt_extend=False)
    payload = request.to_payload()
    assert payload["seed"] == 0 and payload["watermark"] is False and payload["prompt_extend"] is False
    assert build(WAN, thinking_mode=False).to_payload()["thinking_mode"] is False


@pytest.mark.parametrize(("spec", "n", "ok"), [(QWEN, 6, True), (QWEN, 7, False), (QWEN, 0, False),
                                               (WAN, 4, True), (WAN, 5, False)])  # fmt: skip
def test_counts(spec: ModelSpec, n: int, ok: bool) -> None:
    if ok:
        assert build(spec, n=n).n == n
    else:
        with pytest.raises(InvalidOption, match="count"):
            build(spec, n=n)


def test_wan_more_than_four_needs_sequential() -> None:
    with pytest.raises(InvalidOption) as info:
        build(WAN, n=8)
    assert "image-set" in info.value.rule.render("en-US")
    assert build(WAN, n=8, sequential=True).n == 8
    with pytest.raises(InvalidOption):
        build(WAN, n=13, sequential=True)


def test_prompt_rules() -> None:
    with pytest.raises(InvalidOption, match="prompt"):
        build(QWEN, prompt="   ")
    with pytest.raises(InvalidOption) as info:
        build(QWEN, prompt="x" * 801)
    assert "800" in info.value.rule.render("en-US")
    assert build(QWEN, prompt="x" * 800).prompt == "x" * 800
    assert build(WAN, prompt="x" * 5000).prompt == "x" * 5000
    with pytest.raises(InvalidOption):
        build(WAN, prompt="x" * 5001)


def test_negative_prompt_limit() -> None:
    assert build(QWEN, negative_prompt="blurry").negative_prompt == "blurry"
    with pytest.raises(InvalidOption, match="negative_prompt"):
        build(QWEN, negative_prompt="n" * 501)


@pytest.mark.parametrize("seed", [-1, 2147483648])
def test_seed_range(seed: int) -> None:
    with pytest.raises(InvalidOption, match="seed"):
        build(QWEN, seed=seed)


def test_random_seed_is_used_when_none_given() -> None:
    assert QWEN.build_request(ImagineOptions(prompt="x"), random_seed=lambda: 2147483647).seed == 2147483647


def test_fields_of_the_other_model_are_refused() -> None:
    with pytest.raises(InvalidOption, match="thinking_mode"):
        build(QWEN, thinking_mode=True)
    with pytest.raises(InvalidOption, match="negative_prompt"):
        build(WAN, negative_prompt="blurry")
    with pytest.raises(InvalidOption, match="color_palette"):
        build(QWEN, palette="#000000, #111111, #222222")


def test_wan_palette_and_thinking_need_sequential_off() -> None:
    with pytest.raises(InvalidOption, match="palette"):
        build(WAN, sequential=True, palette="#000000, #111111, #222222")
    with pytest.raises(InvalidOption, match="thinking"):
        build(WAN, sequential=True, thinking_mode=True)
    assert build(WAN, sequential=True).thinking_mode is None


def test_palette_with_ratios() -> None:
    colors = parse_palette("#1b2a41 30, #324A5F 25%, 0C1821 45")
    assert [(c.hex, c.ratio) for c in colors] == [
        ("#1B2A41", "30.00%"),
        ("#324A5F", "25.00%"),
        ("#0C1821", "45.00%"),
    ]


def test_palette_equal_split_sums_to_exactly_100() -> None:
    colors = parse_palette("#000000; #111111; #222222; #333333; #444444; #555555; #666666")
    assert sum(int(c.ratio[:-1].replace(".", "")) for c in colors) == 10000
    assert {c.ratio for c in colors} == {"14.29%", "14.28%"}


def test_palette_weights_are_scaled() -> None:
    colors = parse_palette("#000000 3, #111111 2, #222222 1")
    assert [c.ratio for c in colors] == ["50.00%", "33.33%", "16.67%"]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("#000000, #111111", "3 to 10"),
        (", ".join(f"#{i:06X}" for i in range(11)), "3 to 10"),
        ("#00000G, #111111, #222222", "hex"),
        ("#000000 30, #111111, #222222", "every colour or for none"),
        ("#000000 0, #111111 1, #222222 1", "positive"),
        ("#000000 abc, #111111 1, #222222 1", "number"),
    ],
)
def test_palette_errors_name_the_rule(text: str, rule: str) -> None:
    with pytest.raises(InvalidOption) as info:
        parse_palette(text)
    assert info.value.field == "palette"
    assert rule in info.value.rule.render("en-US")


def test_size_suggestions_are_all_valid() -> None:
    for spec in (QWEN, WAN):
        for suggestion in spec.size_suggestions():
            assert build(spec, size=suggestion.value).size == suggestion.value
            assert len(suggestion.label) <= 100


@pytest.mark.parametrize(
    "weight",
    [
        "1E+999998",
        "1e3",
        "NaN",
        "sNaN",
        "inf",
        "Infinity",
        "-5",
        "٣٠",
        "３０",
        "1234567",
        "1.23456",
        "0x1F",
        "1_000",
        "",
    ],
)
def test_hostile_palette_ratios_are_refused_with_the_rule(weight: str) -> None:
    text = f"#000000 {weight}, #111111 1, #222222 1" if weight else "#000000 %, #111111 1, #222222 1"
    with pytest.raises(InvalidOption) as info:
        build(WAN, palette=text)
    assert info.value.field == "palette" and "a ratio must be" in info.value.rule.render("en-US")
    assert "**palette**" in info.value.message().render("en-US") and "You gave:" in info.value.message().render("en-US")


def test_palette_ratio_bounds_that_are_accepted() -> None:
    colors = parse_palette("#000000 999999.9999, #111111 999999, #222222 500000")
    assert sum(int(c.ratio[:-1].replace(".", "")) for c in colors) == 10000
    assert [c.ratio for c in parse_palette("#000000 .5%, #111111 1., #222222 2.5 %")] == ["12.50%", "25.00%", "62.50%"]


def test_a_palette_too_uneven_to_give_every_colour_a_share_names_the_text() -> None:
    text = "#000000 999999, #111111 0.0001, #222222 1"
    with pytest.raises(InvalidOption) as info:
        parse_palette(text)
    assert "at least 0.01%" in info.value.rule.render("en-US") and info.value.value == text


HOSTILE_SIZES = [
    *("99999999999999999999*2", "2*99999999999999999999", "99999*99999", "1024.0*1024", "-1024*-1024"),
    *("١٠٢٤*١٠٢٤", "１０２４*１０２４", "٣:٤", "00000000000000016:9"),  # other scripts' digits; padded ratio
    *("nan*nan", "inf*inf", "1e3*1e3", "1024*1024\n\n2"),
]


@pytest.mark.parametrize("typed", HOSTILE_SIZES)
def test_hostile_sizes_are_refused_with_the_rule(typed: str) -> None:
    for spec in (QWEN, WAN):
        with pytest.raises(InvalidOption) as info:
            build(spec, size=typed)
        assert info.value.field == "size" and info.value.value == typed


def test_a_backtick_in_a_value_cannot_break_out_of_the_quote() -> None:
    with pytest.raises(InvalidOption) as info:
        build(QWEN, size="`@everyone` big")
    assert info.value.message().render("en-US").count("`") == 2


def test_a_blank_negative_prompt_is_not_sent() -> None:
    assert build(QWEN, negative_prompt="   ").negative_prompt is None
