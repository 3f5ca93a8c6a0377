"""Which language to answer in, and command metadata through discord.py's translator.

Private replies follow the member's own Discord language (``interaction.locale``); public
messages follow the server: its ``/settings language``, else its Discord locale. Both fall back
to English when there is no catalogue for the language.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.i18n import DEFAULT_LOCALE, available_locales, supported_locale, t


def member_locale(interaction: discord.Interaction[Any]) -> str:
    """The catalogue for a private reply to this member."""
    return supported_locale(interaction.locale.value)


def auto_locale(interaction: discord.Interaction[Any]) -> str:
    """The catalogue for public messages when the server leaves it to Discord: the server's locale.

    In a direct message there is no server, and the member's own language is the natural choice.
    """
    if interaction.guild_id is None or interaction.guild_locale is None:
        return member_locale(interaction)
    return supported_locale(interaction.guild_locale.value)


def public_locale(interaction: discord.Interaction[Any], language: str) -> str:
    """The catalogue for a public message here, given the server's language setting."""
    return auto_locale(interaction) if language not in available_locales() else language


def command_text(key: str, **values: object) -> app_commands.locale_str:
    """Command metadata (a description or a choice name): English on the command, the key for the translator."""
    return app_commands.locale_str(t(key, DEFAULT_LOCALE, **values), key=key, values=values)


class CatalogueTranslator(app_commands.Translator):
    """Fills every command's ``*_localizations`` from the language catalogues.

    Only strings made by :func:`command_text` are translated; names are left alone on purpose, so
    ``/imagine`` is the same word for everyone.
    """

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        key = string.extras.get("key")
        if key is None or locale.value == DEFAULT_LOCALE or locale.value not in available_locales():
            return None
        return t(key, locale.value, **string.extras.get("values", {}))
