"""``/settings …``: the server's policy, for members with Manage Server."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import CATALOGUE, InvalidOption
from bot.policy import REMOVE_ROLE_LIMIT, ChannelMode, ServerPolicy, parse_entries
from bot.ui import settings_text as text
from bot.ui.confirm import Confirmation
from bot.ui.members import is_manager
from bot.ui.members import parent_channel_id as parent_of

from ._options import (
    DESCRIBED,
    MODEL_CHOICES,
    MOST_IMAGES,
    ChannelParameter,
    GivenDefaults,
    merged_defaults,
    reply,
)

if TYPE_CHECKING:
    from bot.client import ImagineBot

BLOCKLIST_MAX_ENTRIES = 200
BLOCKLIST_MAX_CHARS = 100
MOST_PER_DAY = 1_000_000


class _Refused(Exception):
    """A change the command refuses, with the sentence to say (raised inside the policy update)."""


class Settings(commands.Cog):
    """Server control for admins: allowances, channels, roles, defaults and the blocklist."""

    settings = app_commands.Group(
        name="settings",
        description="Server settings for image generation (Manage Server)",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

    @settings.command(name="view")
    async def view(self, interaction: discord.Interaction[Any]) -> None:
        """See every setting as it applies in this channel, and where each value comes from."""
        if await self._refused(interaction):
            return
        policy = await self._policy(interaction)
        await reply(
            interaction,
            text.render_settings(
                policy,
                self.bot.settings.ceilings,
                channel_id=interaction.channel_id or 0,
                parent_id=parent_of(interaction),
            ),
        )

    @settings.command(name="limits")
    @app_commands.describe(
        member_daily="Images each member may make per day (0: unlimited)",
        server_daily="Images the whole server may make per day (0: unlimited)",
        max_count="Most images in one job (0: the model's maximum)",
    )
    async def limits(
        self,
        interaction: discord.Interaction[Any],
        member_daily: app_commands.Range[int, 0, MOST_PER_DAY] | None = None,
        server_daily: app_commands.Range[int, 0, MOST_PER_DAY] | None = None,
        max_count: app_commands.Range[int, 0, MOST_IMAGES] | None = None,
    ) -> None:
        """Set daily allowances and the most images per job; only the options you give change."""
        if await self._refused(interaction):
            return
        if member_daily is None and server_daily is None and max_count is None:
            await reply(interaction, text.NOTHING_GIVEN)
            return
        policy = await self._update(
            interaction,
            lambda p: p.with_limits(member_daily=member_daily, server_daily=server_daily, max_count=max_count),
        )
        await reply(interaction, text.limits_saved(policy, self.bot.settings.ceilings))

    @settings.command(name="role-limit")
    @app_commands.describe(
        role="The role with its own allowance",
        member_daily="Images a day for its members (0: unlimited, -1: remove the override)",
    )
    async def role_limit(
        self,
        interaction: discord.Interaction[Any],
        role: discord.Role,
        member_daily: app_commands.Range[int, REMOVE_ROLE_LIMIT, MOST_PER_DAY],
    ) -> None:
        """Give a role its own daily allowance per member (the highest of a member's roles applies)."""
        if await self._refused(interaction):
            return
        policy = await self._update(interaction, lambda p: p.with_role_limit(role.id, member_daily))
        await reply(interaction, text.role_limit_saved(role.id, policy, self.bot.settings.ceilings))

    @settings.command(name="channel")
    @app_commands.describe(
        channel="The channel (its threads follow it)",
        mode="allow: only allowed channels may be used · block: never here · clear: neither",
    )
    @app_commands.choices(mode=[app_commands.Choice(name=m.value, value=m.value) for m in ChannelMode])
    async def channel(self, interaction: discord.Interaction[Any], channel: ChannelParameter, mode: str) -> None:
        """Allow or block image generation in a channel, or clear it from both lists."""
        if await self._refused(interaction):
            return
        policy = await self._update(interaction, lambda p: p.with_channel(channel.id, ChannelMode(mode)))
        await reply(interaction, text.channel_saved(channel.id, policy))

    @settings.command(name="role")
    @app_commands.describe(
        role="The role", mode="require: members need one of the required roles · clear: not required"
    )
    @app_commands.choices(mode=[app_commands.Choice(name=m, value=m) for m in ("require", "clear")])
    async def role(self, interaction: discord.Interaction[Any], role: discord.Role, mode: str) -> None:
        """Require a role to make images, or stop requiring it."""
        if await self._refused(interaction):
            return
        policy = await self._update(interaction, lambda p: p.with_required_role(role.id, mode == "require"))
        await reply(interaction, text.role_saved(role.id, policy))

    @settings.command(name="defaults")
    @app_commands.describe(**DESCRIBED, channel="Set this channel's defaults instead of the server's")
    @app_commands.choices(model=MODEL_CHOICES)
    async def defaults(
        self,
        interaction: discord.Interaction[Any],
        model: str,
        size: app_commands.Range[str, 1, 40] | None = None,
        count: app_commands.Range[int, 1, MOST_IMAGES] | None = None,
        prompt_rewrite: bool | None = None,
        thinking: bool | None = None,
        image_set: bool | None = None,
        watermark: bool | None = None,
        channel: ChannelParameter | None = None,
        clear: bool = False,
    ) -> None:
        """Set the server's (or a channel's) defaults for a model; only the options you give change."""
        if await self._refused(interaction):
            return
        given = GivenDefaults(size, count, prompt_rewrite, thinking, image_set, watermark)
        if given.is_empty() and not clear:
            await reply(interaction, text.NOTHING_GIVEN)
            return
        spec = CATALOGUE[model]
        channel_id = channel.id if channel is not None else None

        def change(policy: ServerPolicy) -> ServerPolicy:
            if channel_id is None:
                current = policy.server_defaults(model)
            else:
                current = policy.channel_defaults.get(channel_id, {}).get(model)
            merged = merged_defaults(spec, None if clear else current, given)
            return policy.with_defaults(model, merged, channel_id)

        try:
            policy = await self._update(interaction, change)
        except InvalidOption as error:
            await reply(interaction, text.refused_option(error))
            return
        level = policy.defaults if channel_id is None else policy.channel_defaults.get(channel_id, {})
        await reply(interaction, text.defaults_saved(model, level.get(model), channel_id))

    @settings.command(name="blocklist")
    @app_commands.describe(
        add="Words or phrases to refuse in prompts, comma-separated",
        remove="Words or phrases to take off the list, comma-separated",
    )
    async def blocklist(
        self,
        interaction: discord.Interaction[Any],
        add: app_commands.Range[str, 1, 2000] | None = None,
        remove: app_commands.Range[str, 1, 2000] | None = None,
    ) -> None:
        """Add or remove words and phrases that prompts may not contain."""
        if await self._refused(interaction):
            return
        adding, removing = parse_entries(add or ""), parse_entries(remove or "")
        if not adding and not removing:
            await reply(interaction, text.NOTHING_GIVEN)
            return
        if too_long := next((entry for entry in adding if len(entry) > BLOCKLIST_MAX_CHARS), None):
            await reply(interaction, text.entry_too_long(too_long, BLOCKLIST_MAX_CHARS))
            return
        counts: list[int] = []

        def change(policy: ServerPolicy) -> ServerPolicy:
            changed = policy.with_blocklist(add=adding, remove=removing)
            if len(changed.blocklist) > max(BLOCKLIST_MAX_ENTRIES, len(policy.blocklist)):
                raise _Refused(text.blocklist_full(BLOCKLIST_MAX_ENTRIES, len(changed.blocklist)))
            before, after = set(policy.blocklist), set(changed.blocklist)
            counts[:] = [len(after - before), len(before - after)]
            return changed

        try:
            policy = await self._update(interaction, change)
        except _Refused as refused:
            await reply(interaction, str(refused))
            return
        await reply(interaction, text.blocklist_saved(policy, *counts))

    @settings.command(name="reset")
    async def reset(self, interaction: discord.Interaction[Any]) -> None:
        """Put every setting of this server back to the bot's defaults (asks first)."""
        if await self._refused(interaction):
            return
        assert interaction.guild_id is not None  # _refused: guild only
        asked = Confirmation(
            interaction.user.id,
            confirm_label=text.CONFIRM_LABEL,
            cancel_label=text.CANCEL_LABEL,
            not_yours=text.NOT_YOURS,
        )
        await interaction.response.send_message(text.RESET_ASK, view=asked, ephemeral=True)
        if await asked.wait() or asked.pressed is None:
            await interaction.edit_original_response(content=text.RESET_TIMED_OUT, view=None)
            return
        if asked.confirmed:
            await self.bot.storage.policies.reset_policy(interaction.guild_id)
        outcome = text.RESET_DONE if asked.confirmed else text.RESET_CANCELLED
        await asked.pressed.response.edit_message(content=outcome, view=None)

    # -- helpers ----------------------------------------------------------------------------

    async def _refused(self, interaction: discord.Interaction[Any]) -> bool:
        """Refuse anyone without Manage Server: Discord hides the command, but admins can grant it to others."""
        if interaction.guild_id is None:
            await reply(interaction, text.GUILD_ONLY)
            return True
        if not is_manager(interaction):
            await reply(interaction, text.NOT_MANAGER)
            return True
        return False

    async def _policy(self, interaction: discord.Interaction[Any]) -> ServerPolicy:
        documents = await self.bot.storage.policies.load(interaction.guild_id, interaction.user.id)
        return ServerPolicy.from_dict(documents.policy)

    async def _update(
        self, interaction: discord.Interaction[Any], change: Callable[[ServerPolicy], ServerPolicy]
    ) -> ServerPolicy:
        """Apply ``change`` to the stored policy atomically (exceptions it raises abort the update)."""
        assert interaction.guild_id is not None  # _refused: guild only
        updated = await self.bot.storage.policies.update_policy(
            interaction.guild_id, lambda doc: change(ServerPolicy.from_dict(doc)).to_dict(), now=time.time()
        )
        return ServerPolicy.from_dict(updated)
