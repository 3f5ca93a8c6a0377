"""What the bot may do in a server: the permissions it needs, the invite that grants them, and what is missing.

Defined once here: ``python -m bot invite`` asks for exactly :data:`REQUIRED_PERMISSIONS`, and
``python -m bot check`` reports which of them the bot lacks in ``DEV_GUILD_ID``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import discord
from discord.utils import oauth_url

# Flag name (discord.Permissions) → the name Discord shows in the server settings and the URL generator.
_NEEDED: Mapping[str, str] = {
    "view_channel": "View Channels",  # see the channel a command came from
    "send_messages": "Send Messages",  # results delivered after the 15-minute interaction window
    "embed_links": "Embed Links",  # status and failure embeds
    "attach_files": "Attach Files",  # the images
    "read_message_history": "Read Message History",  # /show and variations fetch earlier results
}
REQUIRED_PERMISSIONS = discord.Permissions(**dict.fromkeys(_NEEDED, True))
SCOPES = ("bot", "applications.commands")  # the bot user, and its slash commands


def invite_url(application_id: int) -> str:
    """The OAuth2 URL that adds the bot to a server with its permissions and slash commands."""
    return oauth_url(application_id, permissions=REQUIRED_PERMISSIONS, scopes=SCOPES)


def permission_names(permissions: discord.Permissions) -> list[str]:
    """The needed permissions among ``permissions``, by the names Discord shows, in a fixed order."""
    return [label for flag, label in _NEEDED.items() if getattr(permissions, flag)]


def missing_permissions(granted: discord.Permissions) -> list[str]:
    """The needed permissions that ``granted`` lacks, by the names Discord shows."""
    return permission_names(discord.Permissions(REQUIRED_PERMISSIONS.value & ~granted.value))


def guild_permissions(
    guild: Mapping[str, Any], member_role_ids: Iterable[str | int], user_id: int
) -> discord.Permissions:
    """A member's server-wide permissions from the guild's REST JSON and the member's role ids.

    Discord's rule: the owner and administrators have every permission; otherwise the
    ``@everyone`` role (whose id is the guild's) combined with each of the member's roles.
    Channel overwrites are not considered: this is the server level, as the invite grants it.
    """
    if str(guild.get("owner_id")) == str(user_id):
        return discord.Permissions.all()
    roles = {str(role["id"]): int(role.get("permissions", 0)) for role in guild.get("roles", [])}
    value = roles.get(str(guild["id"]), 0)
    for role_id in member_role_ids:
        value |= roles.get(str(role_id), 0)
    permissions = discord.Permissions(value)
    return discord.Permissions.all() if permissions.administrator else permissions
