"""Server control's pure pieces: merging and checking model defaults, and the replies' limits."""

from __future__ import annotations

import pytest

from bot.catalogue import QWEN, WAN, InvalidOption
from bot.policy import Ceilings, ModelDefaults, ServerPolicy
from bot.ui.settings_text import MESSAGE_LIMIT, render_settings
from bot.ui.usage_text import UsageReport, render_usage
from cogs.server_control._options import GivenDefaults, merged_defaults


def test_given_options_change_and_the_rest_stay() -> None:
    current = ModelDefaults(size="1K", count=2, watermark=True)
    merged = merged_defaults(WAN, current, GivenDefaults(count=3, thinking=False))
    assert merged == ModelDefaults(size="1K", count=3, thinking_mode=False, watermark=True)


def test_sizes_are_stored_in_wire_form() -> None:
    assert merged_defaults(QWEN, None, GivenDefaults(size="16:9")).size == "2688*1536"
    assert merged_defaults(WAN, None, GivenDefaults(size="4k")).size == "4K"
    assert merged_defaults(QWEN, None, GivenDefaults(size="1024 x 768")).size == "1024*768"


@pytest.mark.parametrize(
    ("spec", "current", "given", "field"),
    [
        (QWEN, None, GivenDefaults(thinking=False), "thinking"),
        (QWEN, None, GivenDefaults(image_set=True), "image_set"),
        (WAN, None, GivenDefaults(prompt_rewrite=True), "prompt_rewrite"),
        (QWEN, None, GivenDefaults(size="4096*4096"), "size"),
        (QWEN, None, GivenDefaults(count=7), "count"),
        (WAN, None, GivenDefaults(count=5), "count"),
        (WAN, ModelDefaults(sequential=True), GivenDefaults(thinking=True), "thinking"),
        (WAN, ModelDefaults(size="4K"), GivenDefaults(image_set=True), "size"),  # the merged level is checked
        (WAN, ModelDefaults(sequential=True), GivenDefaults(count=13), "count"),
    ],
)
def test_what_the_model_refuses_names_the_option(
    spec: object, current: ModelDefaults | None, given: GivenDefaults, field: str
) -> None:
    with pytest.raises(InvalidOption) as refused:
        merged_defaults(spec, current, given)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_image_set_allows_more_images() -> None:
    assert merged_defaults(WAN, None, GivenDefaults(image_set=True, count=12)).count == 12


def test_settings_view_fits_one_message_however_much_is_set() -> None:
    many = range(10**18, 10**18 + 60)  # 19-digit ids, as Discord's are now
    policy = ServerPolicy(
        role_limits=dict.fromkeys(many, 5),
        allowed_channels=frozenset(many),
        blocked_channels=frozenset(i + 100 for i in many),
        required_roles=frozenset(many),
        blocklist=tuple(f"{'x' * 90}{i}" for i in range(200)),
    )
    text = render_settings(policy, Ceilings(), channel_id=1, parent_id=None, public="en-US", locale="en-US")
    assert len(text) <= MESSAGE_LIMIT
    assert "and 54 more" in text and "200 entries" in text and "**Language**" in text


def test_usage_counts_what_is_still_generating() -> None:
    report = UsageReport(member_counted=3, member_reserved=1, member_limit=5, resets_at=86_400, server_counted=9)
    text = render_usage(report, "en-US")
    assert "3 images (1 still generating)" in text
    assert "5 a day, 2 left" in text and "<t:86400:R>" in text
    assert "Top members" not in text
