"""What an interaction says about who is asking and where: roles, Manage Server, a thread's parent."""

from __future__ import annotations

from typing import Any

import discord


def member_roles(interaction: discord.Interaction[Any]) -> frozenset[int]:
    """The ids of the member's roles (none in a direct message)."""
    user = interaction.user
    return frozenset(role.id for role in user.roles) if isinstance(user, discord.Member) else frozenset()


def is_manager(interaction: discord.Interaction[Any]) -> bool:
    """Whether the member may manage the server (the permissions Discord computed for this channel)."""
    return isinstance(interaction.user, discord.Member) and interaction.permissions.manage_guild


def parent_channel_id(interaction: discord.Interaction[Any]) -> int | None:
    """A thread's parent channel (threads follow their parent's lists and defaults); else ``None``."""
    channel = interaction.channel
    return channel.parent_id if isinstance(channel, discord.Thread) else None
