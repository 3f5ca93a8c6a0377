"""Daily allowances: who gets how many, the UTC day, exact reservations and settling them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.policy import (
    AllowanceKind,
    AllowanceRefusal,
    Ceilings,
    ServerPolicy,
    check_reservation,
    member_allowance,
    remaining,
    resets_at,
    server_allowance,
    settle,
    usage_day,
)

UNLIMITED = Ceilings()
NOON = datetime(2025, 3, 14, 12, 0, tzinfo=UTC).timestamp()
MIDNIGHT = datetime(2025, 3, 15, tzinfo=UTC).timestamp()


def test_member_daily_applies_without_role_overrides() -> None:
    policy = ServerPolicy().with_limits(member_daily=5).with_role_limit(1, 20)
    assert member_allowance(policy, UNLIMITED, frozenset({2}), dm=False) == 5
    assert member_allowance(ServerPolicy(), UNLIMITED, frozenset(), dm=False) is None


def test_highest_role_override_wins() -> None:
    policy = ServerPolicy().with_limits(member_daily=5).with_role_limit(1, 20).with_role_limit(2, 50)
    assert member_allowance(policy, UNLIMITED, frozenset({1, 2, 3}), dm=False) == 50
    assert member_allowance(policy, UNLIMITED, frozenset({1}), dm=False) == 20


def test_role_override_replaces_member_daily_even_when_lower() -> None:
    policy = ServerPolicy().with_limits(member_daily=10).with_role_limit(1, 2)
    assert member_allowance(policy, UNLIMITED, frozenset({1}), dm=False) == 2


def test_unlimited_role_override_beats_any_number() -> None:
    policy = ServerPolicy().with_limits(member_daily=5).with_role_limit(1, 20).with_role_limit(2, 0)
    assert member_allowance(policy, UNLIMITED, frozenset({1, 2}), dm=False) is None


def test_removed_role_override_falls_back_to_member_daily() -> None:
    policy = ServerPolicy().with_limits(member_daily=5).with_role_limit(1, 20).with_role_limit(1, -1)
    assert member_allowance(policy, UNLIMITED, frozenset({1}), dm=False) == 5


def test_ceiling_caps_member_daily_and_role_overrides() -> None:
    ceilings = Ceilings(member_daily=30)
    policy = ServerPolicy().with_limits(member_daily=50).with_role_limit(1, 100).with_role_limit(2, 0)
    assert member_allowance(policy, ceilings, frozenset(), dm=False) == 30
    assert member_allowance(policy, ceilings, frozenset({1}), dm=False) == 30
    assert member_allowance(policy, ceilings, frozenset({2}), dm=False) == 30
    assert member_allowance(ServerPolicy().with_limits(member_daily=10), ceilings, frozenset(), dm=False) == 10


def test_server_allowance_is_capped_by_the_ceiling() -> None:
    assert server_allowance(ServerPolicy().with_limits(server_daily=500), Ceilings(server_daily=200)) == 200
    assert server_allowance(ServerPolicy().with_limits(server_daily=50), Ceilings(server_daily=200)) == 50
    assert server_allowance(ServerPolicy(), Ceilings(server_daily=200)) == 200
    assert server_allowance(ServerPolicy(), UNLIMITED) is None


def test_dm_allowance_is_the_dm_ceiling_only() -> None:
    policy = ServerPolicy().with_limits(member_daily=1)
    assert member_allowance(policy, Ceilings(dm_daily=3, member_daily=2), frozenset(), dm=True) == 3
    assert member_allowance(policy, UNLIMITED, frozenset(), dm=True) is None


@pytest.mark.parametrize(("used", "limit", "left"), [(3, 5, 2), (5, 5, 0), (7, 5, 0), (3, None, None)])
def test_remaining(used: int, limit: int | None, left: int | None) -> None:
    assert remaining(used, limit) == left


def test_reservation_up_to_the_limit_exactly_is_allowed() -> None:
    assert check_reservation(2, member_used=3, member_limit=5, server_used=0, server_limit=None, now=NOON) is None
    assert check_reservation(2, member_used=0, member_limit=None, server_used=3, server_limit=5, now=NOON) is None


def test_reservation_one_over_the_member_limit_is_refused() -> None:
    refusal = check_reservation(2, member_used=3, member_limit=4, server_used=0, server_limit=None, now=NOON)
    assert refusal == AllowanceRefusal(AllowanceKind.MEMBER, used=3, limit=4, resets_at=int(MIDNIGHT))


def test_reservation_one_over_the_server_limit_is_refused() -> None:
    refusal = check_reservation(2, member_used=0, member_limit=10, server_used=3, server_limit=4, now=NOON)
    assert refusal == AllowanceRefusal(AllowanceKind.SERVER, used=3, limit=4, resets_at=int(MIDNIGHT))


def test_member_allowance_is_reported_before_the_server_one() -> None:
    refusal = check_reservation(1, member_used=4, member_limit=4, server_used=9, server_limit=9, now=NOON)
    assert refusal is not None and refusal.kind is AllowanceKind.MEMBER


def test_dm_reservation_is_reported_as_dm() -> None:
    refusal = check_reservation(1, member_used=2, member_limit=2, server_used=0, server_limit=None, now=NOON, dm=True)
    assert refusal is not None and refusal.kind is AllowanceKind.DM and refusal.limit == 2


def test_zero_images_cannot_be_reserved() -> None:
    with pytest.raises(ValueError, match="at least one"):
        check_reservation(0, member_used=0, member_limit=None, server_used=0, server_limit=None, now=NOON)


@pytest.mark.parametrize(
    ("reserved", "delivered", "release", "used"),
    [
        (4, 4, 4, 4),  # all delivered
        (4, 0, 4, 0),  # failed or cancelled: nothing counts
        (12, 9, 12, 9),  # image-set mode returning 9 of 12 keeps 9
        (2, 3, 2, 2),  # never more than the member was admitted for
    ],
)
def test_settle(reserved: int, delivered: int, release: int, used: int) -> None:
    assert settle(reserved, delivered) == (release, used)
    assert settle(reserved, delivered).used == used


def test_settle_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        settle(3, -1)


def test_usage_day_and_reset_around_utc_midnight() -> None:
    just_before = MIDNIGHT - 0.001
    assert usage_day(just_before) == "2025-03-14"
    assert resets_at(just_before) == int(MIDNIGHT)
    assert usage_day(MIDNIGHT) == "2025-03-15"
    assert resets_at(MIDNIGHT) == int(MIDNIGHT) + 86_400
    assert usage_day(NOON) == "2025-03-14" and resets_at(NOON) == int(MIDNIGHT)


def test_usage_day_is_utc_not_local() -> None:
    # 23:30 in UTC-5 on the 14th is 04:30 UTC on the 15th.
    assert usage_day(datetime(2025, 3, 15, 4, 30, tzinfo=UTC).timestamp()) == "2025-03-15"
    assert usage_day(0) == "1970-01-01"
