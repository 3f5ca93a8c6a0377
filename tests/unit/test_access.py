"""The permissions the bot needs, its invite URL, and a member's permissions computed from the REST JSON."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import discord

from bot.access import REQUIRED_PERMISSIONS, SCOPES, guild_permissions, invite_url, missing_permissions
from tests.paths import PROJECT

GUILD_ID, OWNER_ID, BOT_ID, ROLE_ID, ADMIN_ROLE_ID = 10, 11, 12, 13, 14


def test_the_needed_permissions_are_the_five_the_readme_names() -> None:
    flags = ("view_channel", "send_messages", "embed_links", "attach_files", "read_message_history")
    assert discord.Permissions(**dict.fromkeys(flags, True)) == REQUIRED_PERMISSIONS
    assert REQUIRED_PERMISSIONS.value == 117760
    assert f"`{REQUIRED_PERMISSIONS.value}`" in (PROJECT / "README.md").read_text()


def test_invite_url_asks_for_both_scopes_and_exactly_the_needed_permissions() -> None:
    url = urlsplit(invite_url(123456789012345678))
    query = parse_qs(url.query)
    assert (url.scheme, url.netloc, url.path) == ("https", "discord.com", "/oauth2/authorize")
    assert query["client_id"] == ["123456789012345678"]
    assert query["permissions"] == [str(REQUIRED_PERMISSIONS.value)]
    assert query["scope"][0].split() == list(SCOPES) == ["bot", "applications.commands"]


def _guild(everyone: int, role: int, *, owner: int = OWNER_ID) -> dict[str, object]:
    roles = [
        {"id": str(GUILD_ID), "permissions": str(everyone)},
        {"id": str(ROLE_ID), "permissions": str(role)},
        {"id": str(ADMIN_ROLE_ID), "permissions": str(discord.Permissions(administrator=True).value)},
    ]
    return {"id": str(GUILD_ID), "owner_id": str(owner), "roles": roles}


def test_member_permissions_combine_everyone_and_the_members_roles() -> None:
    view = discord.Permissions(view_channel=True).value
    send = discord.Permissions(send_messages=True).value
    granted = guild_permissions(_guild(view, send), [str(ROLE_ID)], BOT_ID)
    assert granted.value == view | send
    assert missing_permissions(granted) == ["Embed Links", "Attach Files", "Read Message History"]
    assert guild_permissions(_guild(view, send), [], BOT_ID).value == view  # a role the member lacks counts for nothing


def test_owners_and_administrators_have_everything() -> None:
    assert missing_permissions(guild_permissions(_guild(0, 0, owner=BOT_ID), [], BOT_ID)) == []
    assert missing_permissions(guild_permissions(_guild(0, 0), [ADMIN_ROLE_ID], BOT_ID)) == []
    everything = ["View Channels", "Send Messages", "Embed Links", "Attach Files", "Read Message History"]
    assert missing_permissions(discord.Permissions.none()) == everything
