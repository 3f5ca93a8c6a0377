"""Who may generate where: DMs, channels and threads, required roles, max_count, and the blocklist."""

from __future__ import annotations

import pytest

from bot.policy import (
    AccessRefusal,
    AccessRefusalKind,
    Ceilings,
    ChannelMode,
    ServerPolicy,
    check_access,
    find_blocked,
    parse_entries,
)

GUILD, CHANNEL, OTHER, THREAD = 1, 10, 20, 30
MEMBER_ROLE, PATRON_ROLE = 100, 200
NO_CEILINGS = Ceilings()


def check(
    policy: ServerPolicy,
    *,
    ceilings: Ceilings = NO_CEILINGS,
    guild_id: int | None = GUILD,
    channel_id: int = CHANNEL,
    parent_channel_id: int | None = None,
    roles: frozenset[int] = frozenset({MEMBER_ROLE}),
    is_manager: bool = False,
    prompt: str = "a cat",
    negative_prompt: str | None = None,
    count: int = 1,
) -> AccessRefusal | None:
    return check_access(
        policy,
        ceilings,
        guild_id=guild_id,
        channel_id=channel_id,
        parent_channel_id=parent_channel_id,
        member_role_ids=roles,
        is_manager=is_manager,
        prompt=prompt,
        negative_prompt=negative_prompt,
        count=count,
    )


def kind(refusal: AccessRefusal | None) -> AccessRefusalKind | None:
    return None if refusal is None else refusal.kind


def test_an_empty_policy_allows_everything() -> None:
    assert check(ServerPolicy(), count=12) is None


def test_dms_are_refused_unless_allowed() -> None:
    strict = ServerPolicy().with_limits(max_count=1).with_blocklist(add=["cat"])
    assert kind(check(strict, guild_id=None)) is AccessRefusalKind.DMS_DISABLED
    assert check(strict, guild_id=None, ceilings=Ceilings(allow_dms=True), count=4) is None


def test_a_blocked_channel_never_works_even_for_managers() -> None:
    policy = ServerPolicy().with_channel(CHANNEL, ChannelMode.BLOCK)
    assert kind(check(policy, is_manager=True)) is AccessRefusalKind.CHANNEL_BLOCKED
    assert check(policy, channel_id=OTHER) is None


def test_once_a_channel_is_allowed_only_allowed_channels_work() -> None:
    policy = ServerPolicy().with_channel(OTHER, ChannelMode.ALLOW).with_channel(40, ChannelMode.ALLOW)
    assert check(policy) == AccessRefusal(AccessRefusalKind.CHANNEL_NOT_ALLOWED, channel_ids=(OTHER, 40))
    assert check(policy, channel_id=OTHER) is None
    assert check(policy.with_channel(OTHER, ChannelMode.CLEAR).with_channel(40, ChannelMode.CLEAR)) is None


def test_threads_follow_their_parent() -> None:
    allowed = ServerPolicy().with_channel(CHANNEL, ChannelMode.ALLOW)
    assert check(allowed, channel_id=THREAD, parent_channel_id=CHANNEL) is None
    assert kind(check(allowed, channel_id=THREAD, parent_channel_id=OTHER)) is AccessRefusalKind.CHANNEL_NOT_ALLOWED
    blocked = ServerPolicy().with_channel(CHANNEL, ChannelMode.BLOCK)
    assert kind(check(blocked, channel_id=THREAD, parent_channel_id=CHANNEL)) is AccessRefusalKind.CHANNEL_BLOCKED
    assert check(blocked, channel_id=THREAD, parent_channel_id=OTHER) is None


def test_required_roles() -> None:
    policy = ServerPolicy().with_required_role(PATRON_ROLE, True).with_required_role(300, True)
    assert check(policy) == AccessRefusal(AccessRefusalKind.ROLE_REQUIRED, role_ids=(PATRON_ROLE, 300))
    assert check(policy, roles=frozenset({MEMBER_ROLE, PATRON_ROLE})) is None


def test_managers_bypass_the_role_requirement_only() -> None:
    policy = ServerPolicy().with_required_role(PATRON_ROLE, True).with_limits(max_count=2).with_blocklist(add=["dog"])
    assert check(policy, is_manager=True) is None
    assert kind(check(policy, is_manager=True, count=3)) is AccessRefusalKind.OVER_MAX_COUNT
    assert kind(check(policy, is_manager=True, prompt="a dog")) is AccessRefusalKind.BLOCKED_WORD


def test_max_count_refuses_above_not_at() -> None:
    policy = ServerPolicy().with_limits(max_count=4)
    assert check(policy, count=4) is None
    assert check(policy, count=5) == AccessRefusal(AccessRefusalKind.OVER_MAX_COUNT, max_count=4)


def test_blocked_word_in_prompt_or_negative_prompt_is_named() -> None:
    policy = ServerPolicy().with_blocklist(add=["Gore"])
    assert check(policy, prompt="so much GORE") == AccessRefusal(AccessRefusalKind.BLOCKED_WORD, word="gore")
    assert check(policy, negative_prompt="no gore, please") == AccessRefusal(
        AccessRefusalKind.BLOCKED_WORD, word="gore"
    )
    assert check(policy, prompt="gorey") is None


def test_the_channel_is_checked_before_the_roles() -> None:
    policy = ServerPolicy().with_channel(CHANNEL, ChannelMode.BLOCK).with_required_role(PATRON_ROLE, True)
    assert kind(check(policy)) is AccessRefusalKind.CHANNEL_BLOCKED


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        ("cat", "a cat"),
        ("cat", "A CAT"),
        ("cat", "Cat!"),
        ("cat", "(cat)"),
        ("cat", "the cat's toy"),
        ("cat", "cat\nand dog"),
        ("red car", "A red  car"),
        ("red car", "a RED\tcar"),
        ("red car", "a red-car"),
        ("red car", "red, car"),
        ("straße", "STRASSE"),
        ("cat", "ＣＡＴ"),  # full-width letters
        ("cat", "c\u200bat"),  # a zero-width space hidden inside
        ("c++", "I write C++ code"),
        ("猫", "一只猫在睡觉"),
        ("红色汽车", "一辆红色汽车"),
        ("红色 汽车", "一辆红色汽车"),
        ("cat", "我的cat很可爱"),
        ("ねこ", "かわいいねこです"),
        ("고양이", "고양이가 잔다"),
    ],
)
def test_blocklist_matches(entry: str, text: str) -> None:
    entries = parse_entries(entry)
    assert find_blocked([text], entries) == entries[0]


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        ("cat", "concatenate"),
        ("cat", "cats"),
        ("cat", "bobcat"),
        ("cat", "cat_girl"),
        ("red car", "red carpet"),
        ("red car", "redcar"),
        ("red car", "a car that is red"),
        ("c++", "abc++"),
        ("猫", "狗"),
    ],
)
def test_blocklist_does_not_match(entry: str, text: str) -> None:
    assert find_blocked([text], parse_entries(entry)) is None


def test_blocklist_names_the_first_listed_entry_found_and_skips_missing_texts() -> None:
    entries = parse_entries("dog, cat")
    assert find_blocked([None, "a cat and a dog"], entries) == "dog"
    assert find_blocked([None, ""], entries) is None
    assert find_blocked(["anything"], ()) is None


def test_parse_entries_splits_on_commas_and_drops_blanks_and_repeats() -> None:
    assert parse_entries(" Red  Car ,cat,, CAT，猫、狗 ") == ("red car", "cat", "猫", "狗")
