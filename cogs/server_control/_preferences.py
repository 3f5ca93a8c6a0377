"""``/preferences …``: a member's own defaults per model, everywhere the bot is."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import CATALOGUE, InvalidOption
from bot.i18n import t
from bot.policy import MemberPreferences, ServerPolicy
from bot.storage.policies import Document
from bot.ui import settings_text as text
from bot.ui.language import command_text, member_locale
from bot.ui.members import parent_channel_id

from ._options import DESCRIBED, MODEL_CHOICES, MOST_IMAGES, GivenDefaults, merged_defaults, reply

if TYPE_CHECKING:
    from bot.client import ImagineBot


class Preferences(commands.Cog):
    """Members' personal defaults."""

    preferences = app_commands.Group(name="preferences", description=command_text("command.preferences.description"))

    def __init__(self, bot: ImagineBot) -> None:
        self.bot = bot

    @preferences.command(name="set", description=command_text("command.preferences.set"))
    @app_commands.describe(**{key: value for key, value in DESCRIBED.items() if key != "model"})
    @app_commands.describe(model=command_text("command.preferences.model"))
    @app_commands.choices(model=MODEL_CHOICES)
    async def set_(
        self,
        interaction: discord.Interaction[Any],
        model: str,
        size: app_commands.Range[str, 1, 40] | None = None,
        count: app_commands.Range[int, 1, MOST_IMAGES] | None = None,
        prompt_rewrite: bool | None = None,
        thinking: bool | None = None,
        image_set: bool | None = None,
        watermark: bool | None = None,
        clear: bool = False,
    ) -> None:
        """Choose your own defaults for a model; only the options you give change."""
        locale = member_locale(interaction)
        given = GivenDefaults(size, count, prompt_rewrite, thinking, image_set, watermark)
        if given.is_empty() and not clear:
            await reply(interaction, t("settings.nothing_given", locale))
            return

        def change(document: Document) -> Document:  # under the member's lock: two sets never lose one
            preferences = MemberPreferences.from_dict(document)
            merged = merged_defaults(CATALOGUE[model], None if clear else preferences.for_model(model), given)
            return preferences.with_defaults(model, merged).to_dict()

        try:
            saved = await self.bot.storage.policies.update_preferences(interaction.user.id, change, now=time.time())
        except InvalidOption as error:
            await reply(interaction, text.refused_option(error, locale))
            return
        preferences = MemberPreferences.from_dict(saved)
        await reply(interaction, text.preferences_saved(model, preferences.for_model(model), locale))

    @preferences.command(name="view", description=command_text("command.preferences.view"))
    async def view(self, interaction: discord.Interaction[Any]) -> None:
        """See the defaults your requests get here, and which of them are your own."""
        documents = await self.bot.storage.policies.load(interaction.guild_id, interaction.user.id)
        preferences = MemberPreferences.from_dict(documents.preferences)
        policy = ServerPolicy.from_dict(documents.policy) if interaction.guild_id is not None else None
        rendered = text.render_preferences(
            dict(preferences.defaults),
            policy,
            channel_id=interaction.channel_id or 0,
            parent_id=parent_channel_id(interaction),
            locale=member_locale(interaction),
        )
        await reply(interaction, rendered)

    @preferences.command(name="reset", description=command_text("command.preferences.reset"))
    async def reset(self, interaction: discord.Interaction[Any]) -> None:
        """Forget all your preferences."""
        await self.bot.storage.policies.reset_preferences(interaction.user.id)
        await reply(interaction, t("preferences.reset", member_locale(interaction)))
