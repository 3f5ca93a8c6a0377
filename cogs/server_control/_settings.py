"""``/settings …``: the server's policy, for members with Manage Server."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import CATALOGUE, InvalidOption
from bot.i18n import available_locales, t
from bot.policy import AUTO_LANGUAGE, REMOVE_ROLE_LIMIT, ChannelMode, ServerPolicy, parse_entries
from bot.ui import settings_text as text
from bot.ui.confirm import Confirmation
from bot.ui.language import command_text, member_locale, public_locale
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


def _choice(value: str) -> app_commands.Choice[str]:
    """A choice whose name is a word members read (localized) and whose value the command reads."""
    return app_commands.Choice(name=command_text(f"command.settings.choice.{value}"), value=value)


def _language_choices() -> list[app_commands.Choice[str]]:
    """auto, then every language with a catalogue, each named in its own language."""
    named = [
        app_commands.Choice(name=f"{t('language_name', locale)} ({locale})", value=locale)
        for locale in available_locales()
    ]
    return [_choice(AUTO_LANGUAGE), *named]


class _Refused(Exception):
    """A change the command refuses, with the sentence to say (raised inside the policy update)."""


class Settings(commands.Cog):
    """Server control for admins: allowances, channels, roles, defaults and the blocklist."""

    settings = app_commands.Group(
        name="settings",
        description=command_text("command.settings.description"),
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

    @settings.command(name="view", description=command_text("command.settings.view"))
    async def view(self, interaction: discord.Interaction[Any]) -> None:
        """See every setting as it applies in this channel, and where each value comes from."""
        if await self._refused(interaction):
            return
        policy = await self._policy(interaction)
        rendered = text.render_settings(
            policy,
            self.bot.settings.ceilings,
            channel_id=interaction.channel_id or 0,
            parent_id=parent_of(interaction),
            public=public_locale(interaction, policy.language),
            locale=member_locale(interaction),
        )
        await reply(interaction, rendered)

    @settings.command(name="limits", description=command_text("command.settings.limits"))
    @app_commands.describe(
        member_daily=command_text("command.settings.option.member_daily"),
        server_daily=command_text("command.settings.option.server_daily"),
        max_count=command_text("command.settings.option.max_count"),
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
        locale = member_locale(interaction)
        if member_daily is None and server_daily is None and max_count is None:
            await reply(interaction, t("settings.nothing_given", locale))
            return
        policy = await self._update(
            interaction,
            lambda p: p.with_limits(member_daily=member_daily, server_daily=server_daily, max_count=max_count),
        )
        await reply(interaction, text.limits_saved(policy, self.bot.settings.ceilings, locale))

    @settings.command(name="role-limit", description=command_text("command.settings.role_limit"))
    @app_commands.describe(
        role=command_text("command.settings.option.role_limit_role"),
        member_daily=command_text("command.settings.option.role_member_daily"),
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
        saved = text.role_limit_saved(role.id, policy, self.bot.settings.ceilings, member_locale(interaction))
        await reply(interaction, saved)

    @settings.command(name="channel", description=command_text("command.settings.channel"))
    @app_commands.describe(
        channel=command_text("command.settings.option.channel"),
        mode=command_text("command.settings.option.channel_mode"),
    )
    @app_commands.choices(mode=[_choice(m.value) for m in ChannelMode])
    async def channel(self, interaction: discord.Interaction[Any], channel: ChannelParameter, mode: str) -> None:
        """Allow or block image generation in a channel, or clear it from both lists."""
        if await self._refused(interaction):
            return
        policy = await self._update(interaction, lambda p: p.with_channel(channel.id, ChannelMode(mode)))
        await reply(interaction, text.channel_saved(channel.id, policy, member_locale(interaction)))

    @settings.command(name="role", description=command_text("command.settings.role"))
    @app_commands.describe(
        role=command_text("command.settings.option.role"), mode=command_text("command.settings.option.role_mode")
    )
    @app_commands.choices(mode=[_choice(m) for m in ("require", "clear")])
    async def role(self, interaction: discord.Interaction[Any], role: discord.Role, mode: str) -> None:
        """Require a role to make images, or stop requiring it."""
        if await self._refused(interaction):
            return
        policy = await self._update(interaction, lambda p: p.with_required_role(role.id, mode == "require"))
        await reply(interaction, text.role_saved(role.id, policy, member_locale(interaction)))

    @settings.command(name="defaults", description=command_text("command.settings.defaults"))
    @app_commands.describe(**DESCRIBED, channel=command_text("command.settings.option.defaults_channel"))
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
        locale = member_locale(interaction)
        given = GivenDefaults(size, count, prompt_rewrite, thinking, image_set, watermark)
        if given.is_empty() and not clear:
            await reply(interaction, t("settings.nothing_given", locale))
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
            await reply(interaction, text.refused_option(error, locale))
            return
        level = policy.defaults if channel_id is None else policy.channel_defaults.get(channel_id, {})
        await reply(interaction, text.defaults_saved(model, level.get(model), channel_id, locale))

    @settings.command(name="blocklist", description=command_text("command.settings.blocklist"))
    @app_commands.describe(
        add=command_text("command.settings.option.blocklist_add"),
        remove=command_text("command.settings.option.blocklist_remove"),
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
        locale = member_locale(interaction)
        adding, removing = parse_entries(add or ""), parse_entries(remove or "")
        if not adding and not removing:
            await reply(interaction, t("settings.nothing_given", locale))
            return
        if too_long := next((entry for entry in adding if len(entry) > BLOCKLIST_MAX_CHARS), None):
            await reply(interaction, text.entry_too_long(too_long, BLOCKLIST_MAX_CHARS, locale))
            return
        counts: list[int] = []

        def change(policy: ServerPolicy) -> ServerPolicy:
            changed = policy.with_blocklist(add=adding, remove=removing)
            if len(changed.blocklist) > max(BLOCKLIST_MAX_ENTRIES, len(policy.blocklist)):
                raise _Refused(text.blocklist_full(BLOCKLIST_MAX_ENTRIES, len(changed.blocklist), locale))
            before, after = set(policy.blocklist), set(changed.blocklist)
            counts[:] = [len(after - before), len(before - after)]
            return changed

        try:
            policy = await self._update(interaction, change)
        except _Refused as refused:
            await reply(interaction, str(refused))
            return
        await reply(interaction, text.blocklist_saved(policy, counts[0], counts[1], locale))

    @settings.command(name="language", description=command_text("command.settings.language"))
    @app_commands.describe(language=command_text("command.settings.option.language"))
    @app_commands.choices(language=_language_choices())
    async def language(self, interaction: discord.Interaction[Any], language: str) -> None:
        """Choose the language of the server's public messages; private replies follow each member's own."""
        if await self._refused(interaction):
            return
        policy = await self._update(interaction, lambda p: p.with_language(language))
        public = public_locale(interaction, policy.language)
        await reply(interaction, text.language_saved(policy.language, public, member_locale(interaction)))

    @settings.command(name="reset", description=command_text("command.settings.reset"))
    async def reset(self, interaction: discord.Interaction[Any]) -> None:
        """Put every setting of this server back to the bot's defaults (asks first)."""
        if await self._refused(interaction):
            return
        assert interaction.guild_id is not None  # _refused: guild only
        locale = member_locale(interaction)
        asked = Confirmation(
            interaction.user.id,
            confirm_label=t("settings.reset_confirm", locale),
            cancel_label=t("settings.reset_cancel", locale),
            not_yours=t("settings.not_yours", locale),
        )
        await interaction.response.send_message(t("settings.reset_ask", locale), view=asked, ephemeral=True)
        if await asked.wait() or asked.pressed is None:
            await interaction.edit_original_response(content=t("settings.reset_timed_out", locale), view=None)
            return
        if asked.confirmed:
            await self.bot.storage.policies.reset_policy(interaction.guild_id)
        outcome = t("settings.reset_done" if asked.confirmed else "settings.reset_cancelled", locale)
        await asked.pressed.response.edit_message(content=outcome, view=None)

    # -- helpers ----------------------------------------------------------------------------

    async def _refused(self, interaction: discord.Interaction[Any]) -> bool:
        """Refuse anyone without Manage Server: Discord hides the command, but admins can grant it to others."""
        if interaction.guild_id is None:
            await reply(interaction, t("settings.guild_only", member_locale(interaction)))
            return True
        if not is_manager(interaction):
            await reply(interaction, t("settings.not_manager", member_locale(interaction)))
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
