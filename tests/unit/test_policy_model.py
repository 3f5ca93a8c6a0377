"""ServerPolicy as the /settings commands change it, and its JSON form across versions."""

from __future__ import annotations

import json

import pytest

from bot.policy import (
    REMOVE_ROLE_LIMIT,
    ChannelMode,
    MemberPreferences,
    ModelDefaults,
    ServerPolicy,
    limit_from_command,
)


def test_zero_from_a_command_means_unlimited() -> None:
    assert limit_from_command(0) is None
    assert limit_from_command(7) == 7
    with pytest.raises(ValueError, match="-3"):
        limit_from_command(-3)


def test_with_limits_sets_only_what_is_given() -> None:
    policy = ServerPolicy().with_limits(member_daily=10, server_daily=100, max_count=4)
    policy = policy.with_limits(server_daily=50)
    assert (policy.member_daily, policy.server_daily, policy.max_count) == (10, 50, 4)
    policy = policy.with_limits(member_daily=0, max_count=0)
    assert (policy.member_daily, policy.server_daily, policy.max_count) == (None, 50, None)


def test_with_limits_refuses_negative_values() -> None:
    with pytest.raises(ValueError, match="limit"):
        ServerPolicy().with_limits(member_daily=-1)


def test_role_limits_set_unlimited_and_remove() -> None:
    policy = ServerPolicy().with_role_limit(1, 20).with_role_limit(2, 0)
    assert dict(policy.role_limits) == {1: 20, 2: None}
    policy = policy.with_role_limit(1, REMOVE_ROLE_LIMIT)
    assert dict(policy.role_limits) == {2: None}
    assert policy.with_role_limit(99, REMOVE_ROLE_LIMIT) == policy  # removing what is not there is harmless


def test_changes_return_a_new_policy_and_leave_the_old_one_alone() -> None:
    before = ServerPolicy()
    after = before.with_role_limit(1, 5).with_channel(2, ChannelMode.ALLOW).with_blocklist(add=["x"])
    assert before == ServerPolicy()
    assert after != before
    with pytest.raises(TypeError):
        after.role_limits[3] = 1  # type: ignore[index]


def test_channel_modes_move_a_channel_between_lists() -> None:
    policy = ServerPolicy().with_channel(5, ChannelMode.ALLOW)
    assert (policy.allowed_channels, policy.blocked_channels) == ({5}, frozenset())
    policy = policy.with_channel(5, ChannelMode.BLOCK)
    assert (policy.allowed_channels, policy.blocked_channels) == (frozenset(), {5})
    policy = policy.with_channel(5, ChannelMode.CLEAR)
    assert (policy.allowed_channels, policy.blocked_channels) == (frozenset(), frozenset())


def test_required_roles() -> None:
    policy = ServerPolicy().with_required_role(7, True).with_required_role(8, True).with_required_role(7, False)
    assert policy.required_roles == {8}


def test_defaults_per_server_and_per_channel_and_clearing() -> None:
    server = ModelDefaults(size="1K")
    channel = ModelDefaults(count=2)
    policy = ServerPolicy().with_defaults("wan", server).with_defaults("wan", channel, channel_id=10)
    assert policy.server_defaults("wan") == server
    assert policy.server_defaults("qwen") is None
    assert policy.channel_defaults_for("wan", 10) == channel
    assert policy.channel_defaults_for("wan", 11) is None
    cleared = policy.with_defaults("wan", ModelDefaults(), channel_id=10).with_defaults("wan", ModelDefaults())
    assert cleared.channel_defaults == {}
    assert cleared.defaults == {}


def test_thread_without_its_own_defaults_follows_its_parent() -> None:
    parent, own = ModelDefaults(count=2), ModelDefaults(count=3)
    policy = ServerPolicy().with_defaults("qwen", parent, channel_id=10)
    assert policy.channel_defaults_for("qwen", 555, parent_channel_id=10) == parent
    policy = policy.with_defaults("qwen", own, channel_id=555)
    assert policy.channel_defaults_for("qwen", 555, parent_channel_id=10) == own


def test_blocklist_add_and_remove_normalize_entries() -> None:
    policy = ServerPolicy().with_blocklist(add=["  Red   Car ", "cat", "CAT", ""])
    assert policy.blocklist == ("red car", "cat")
    policy = policy.with_blocklist(add=["dog"], remove=["RED CAR"])
    assert policy.blocklist == ("cat", "dog")


def _full_policy() -> ServerPolicy:
    return (
        ServerPolicy(language="de")
        .with_limits(member_daily=5, server_daily=50, max_count=4)
        .with_role_limit(111, 20)
        .with_role_limit(222, 0)
        .with_channel(1, ChannelMode.ALLOW)
        .with_channel(2, ChannelMode.BLOCK)
        .with_required_role(333, True)
        .with_defaults("wan", ModelDefaults(size="4K", thinking_mode=False, watermark=True))
        .with_defaults("qwen", ModelDefaults(count=2, prompt_extend=False), channel_id=1)
        .with_blocklist(add=["red car", "猫"])
    )


def test_json_round_trip_keeps_everything() -> None:
    policy = _full_policy()
    assert ServerPolicy.from_dict(json.loads(json.dumps(policy.to_dict()))) == policy


def test_json_with_missing_keys_from_an_older_version_reads_as_unset() -> None:
    old = {"member_daily": 3, "allowed_channels": ["12"], "defaults": {"qwen": {"size": "1024*1024"}}}
    policy = ServerPolicy.from_dict(old)
    assert policy.member_daily == 3
    assert policy.server_daily is None and policy.max_count is None
    assert policy.allowed_channels == {12}
    assert policy.defaults == {"qwen": ModelDefaults(size="1024*1024")}
    assert policy.role_limits == {} and policy.blocklist == () and policy.language == "auto"
    assert ServerPolicy.from_dict({}) == ServerPolicy()


def test_json_tolerates_unknown_keys_and_mistyped_fields() -> None:
    data = _full_policy().to_dict() | {"from_the_future": True}
    data["defaults"]["wan"]["count"] = "three"
    policy = ServerPolicy.from_dict(data)
    assert policy.defaults["wan"] == ModelDefaults(size="4K", thinking_mode=False, watermark=True)


def test_overlay_replaces_only_the_fields_set() -> None:
    base = ModelDefaults(size="1K", watermark=True)
    assert base.overlay(ModelDefaults(watermark=False, count=2)) == ModelDefaults(size="1K", count=2, watermark=False)
    assert base.overlay(ModelDefaults()) == base


def test_member_preferences_set_clear_and_round_trip() -> None:
    prefs = MemberPreferences().with_defaults("wan", ModelDefaults(thinking_mode=False))
    prefs = prefs.with_defaults("qwen", ModelDefaults(count=2))
    assert prefs.for_model("wan") == ModelDefaults(thinking_mode=False)
    assert MemberPreferences.from_dict(json.loads(json.dumps(prefs.to_dict()))) == prefs
    assert prefs.with_defaults("qwen", ModelDefaults()).for_model("qwen") is None
    assert MemberPreferences.from_dict({}) == MemberPreferences()
    assert MemberPreferences.from_dict({"defaults": {"wan": "junk"}}) == MemberPreferences()
