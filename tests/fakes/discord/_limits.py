"""The limits real Discord enforces on messages and application commands."""

from __future__ import annotations

import re
from typing import Any

from ._errors import DiscordError, invalid_form
from ._spec import discord_locales

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_FILES = 10
MAX_ROWS = 5
MAX_BUTTONS_PER_ROW = 5
MAX_CUSTOM_ID = 100
MAX_LABEL = 80
COMMAND_NAME = re.compile(r"^[-_'\w\u0900-\u097F\u0E00-\u0E7F]{1,32}$")
MAX_OPTIONS = 25
MAX_CHOICES = 25
MAX_DESCRIPTION = 100
MAX_COMMANDS = 100
MAX_CHOICE_NAME = 100
_EMBED_FIELDS = {"title": 256, "description": 4096}


def check_message(payload: dict[str, Any], file_count: int) -> None:
    """Content, embeds and attachment counts of a message create/edit (components: ``_check_layout``)."""
    content = payload.get("content")
    if isinstance(content, str) and len(content) > MAX_CONTENT:
        raise invalid_form("content", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length.")
    embeds = payload.get("embeds") or []
    if not isinstance(embeds, list):
        return  # wrong types are the schema's to report
    if len(embeds) > MAX_EMBEDS:
        raise invalid_form("embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length.")
    total = 0
    for index, embed in enumerate(embeds):
        for key, limit in _EMBED_FIELDS.items():
            value = embed.get(key) or ""
            total += len(value)
            if len(value) > limit:
                raise invalid_form(f"embeds.{index}.{key}", "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer.")
        for field in embed.get("fields") or []:
            total += len(field.get("name", "")) + len(field.get("value", ""))
        total += len((embed.get("footer") or {}).get("text", "")) + len((embed.get("author") or {}).get("name", ""))
    if total > MAX_EMBED_TOTAL:
        raise invalid_form("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    attachments = payload.get("attachments")
    if file_count > MAX_FILES or (attachments is not None and len(attachments) > MAX_FILES):
        raise invalid_form("attachments", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FILES} or fewer in length.")


def check_components(rows: list[dict[str, Any]]) -> None:
    """≤ 5 action rows × 5 buttons; custom_id 1–100 chars and unique in the message."""
    if len(rows) > MAX_ROWS:
        raise invalid_form("components", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ROWS} or fewer in length.")
    seen: set[str] = set()
    for r, row in enumerate(rows):
        if row.get("type") != 1:
            raise invalid_form(f"components.{r}.type", "UNION_TYPE_CHOICES", "Value must be an action row here.")
        children = row.get("components") or []
        if not 1 <= len(children) <= MAX_BUTTONS_PER_ROW:
            raise invalid_form(
                f"components.{r}.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
            )
        for c, child in enumerate(children):
            where = f"components.{r}.components.{c}"
            if child.get("type") == 2 and child.get("style") == 5:
                if not child.get("url"):
                    raise invalid_form(f"{where}.url", "BASE_TYPE_REQUIRED", "This field is required")
                continue
            custom_id = child.get("custom_id")
            if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
                raise invalid_form(f"{where}.custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            if custom_id in seen:
                raise invalid_form(
                    f"{where}.custom_id",
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(custom_id)
            if len(child.get("label") or "") > MAX_LABEL:
                raise invalid_form(f"{where}.label", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_LABEL} or fewer in length.")


def check_commands(commands: list[dict[str, Any]]) -> None:
    """Application-command schema rules (names, descriptions, localizations, option counts and order)."""
    if len(commands) > MAX_COMMANDS:
        raise invalid_form("_root", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_COMMANDS} or fewer in length.")
    names: set[tuple[int, str]] = set()
    for i, command in enumerate(commands):
        kind = command.get("type", 1)
        key = (kind, command.get("name", ""))
        if key in names:
            raise invalid_form(
                f"{i}.name", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"
            )
        names.add(key)
        if kind in (2, 3):  # user / message context menus: a free-form name, no description, no options
            _check_context_menu(command, f"{i}")
            continue
        _check_named(command, f"{i}")
        _check_options(command.get("options") or [], f"{i}.options", depth=0)


def _check_context_menu(command: dict[str, Any], where: str) -> None:
    for locale, name in _localizations(command, "name_localizations", where):
        if not isinstance(name, str) or not 1 <= len(name) <= 32:
            raise invalid_form(f"{where}.name_localizations.{locale}", "BASE_TYPE_BAD_LENGTH",
                               "Must be between 1 and 32 in length.")  # fmt: skip
    if not 1 <= len(command.get("name") or "") <= 32:
        raise invalid_form(f"{where}.name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
    if command.get("description") or command.get("description_localizations"):
        raise invalid_form(f"{where}.description", "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION_INVALID",
                           "Context menu commands cannot have a description")  # fmt: skip
    if command.get("options"):
        raise invalid_form(f"{where}.options", "APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS_INVALID",
                           "Context menu commands cannot have options")  # fmt: skip


def _localizations(item: dict[str, Any], field: str, where: str) -> list[tuple[str, Any]]:
    """A ``*_localizations`` map's entries, after checking every key is one of Discord's locales."""
    given = item.get(field) or {}
    if not isinstance(given, dict):
        return []  # wrong types are the schema's to report
    for locale in given:
        if locale not in discord_locales():
            raise invalid_form(f"{where}.{field}.{locale}", "ENUM_TYPE_COERCE",
                               f"Value \"{locale}\" is not a valid enum value.")  # fmt: skip
    return list(given.items())


def _valid_name(name: object) -> bool:
    return isinstance(name, str) and bool(COMMAND_NAME.match(name)) and name == name.lower()


def _check_named(item: dict[str, Any], where: str) -> None:
    name = item.get("name", "")
    if not _valid_name(name):
        raise invalid_form(f"{where}.name", "APPLICATION_COMMAND_INVALID_NAME", f"Command name is invalid: {name!r}")
    for locale, localized in _localizations(item, "name_localizations", where):
        if not _valid_name(localized):
            raise invalid_form(f"{where}.name_localizations.{locale}", "APPLICATION_COMMAND_INVALID_NAME",
                               f"Command name is invalid: {localized!r}")  # fmt: skip
    description = item.get("description", "")
    if not 1 <= len(description) <= MAX_DESCRIPTION:
        raise invalid_form(f"{where}.description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    for locale, localized in _localizations(item, "description_localizations", where):
        if not isinstance(localized, str) or not 1 <= len(localized) <= MAX_DESCRIPTION:
            raise invalid_form(f"{where}.description_localizations.{locale}", "BASE_TYPE_BAD_LENGTH",
                               "Must be between 1 and 100 in length.")  # fmt: skip


def _check_choices(choices: list[dict[str, Any]], where: str) -> None:
    if len(choices) > MAX_CHOICES:
        raise invalid_form(where, "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CHOICES} or fewer in length.")
    for i, choice in enumerate(choices):
        here = f"{where}.{i}"
        if not 1 <= len(choice.get("name") or "") <= MAX_CHOICE_NAME:
            raise invalid_form(f"{here}.name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        for locale, localized in _localizations(choice, "name_localizations", here):
            if not isinstance(localized, str) or not 1 <= len(localized) <= MAX_CHOICE_NAME:
                raise invalid_form(f"{here}.name_localizations.{locale}", "BASE_TYPE_BAD_LENGTH",
                                   "Must be between 1 and 100 in length.")  # fmt: skip
        value = choice.get("value")
        if isinstance(value, str) and not 1 <= len(value) <= MAX_CHOICE_NAME:
            raise invalid_form(f"{here}.value", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")


def _check_options(options: list[dict[str, Any]], where: str, depth: int) -> None:
    if len(options) > MAX_OPTIONS:
        raise invalid_form(where, "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_OPTIONS} or fewer in length.")
    seen_optional = False
    names: set[str] = set()
    for i, option in enumerate(options):
        here = f"{where}.{i}"
        _check_named(option, here)
        if option["name"] in names:
            raise invalid_form(
                f"{here}.name", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Duplicate option name"
            )
        names.add(option["name"])
        kind = option.get("type")
        if kind in (1, 2):  # sub-command / group
            if depth >= (1 if kind == 2 else 2):
                raise invalid_form(here, "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Sub-commands nested too deep")
            _check_options(option.get("options") or [], f"{here}.options", depth + 1)
            continue
        if option.get("required"):
            if seen_optional:
                raise invalid_form(
                    here,
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        choices = option.get("choices") or []
        _check_choices(choices, f"{here}.choices")
        if choices and option.get("autocomplete"):
            raise invalid_form(
                here,
                "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE",
                "Autocomplete and choices are exclusive",
            )
        if kind == 3 and (option.get("max_length") or 0) > 6000:
            raise invalid_form(f"{here}.max_length", "NUMBER_TYPE_MAX", "int value should be <= 6000.")


def check_autocomplete_choices(choices: list[dict[str, Any]]) -> None:
    """An autocomplete result: ≤ 25 choices, names 1–100 chars."""
    if len(choices) > MAX_CHOICES:
        raise invalid_form("data.choices", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CHOICES} or fewer in length.")
    for i, choice in enumerate(choices):
        if not 1 <= len(choice.get("name", "")) <= 100:
            raise invalid_form(f"data.choices.{i}.name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")


def error_from(status_code: tuple[int, int, str]) -> DiscordError:
    """Build an error from one of the constants in ``_errors``."""
    return DiscordError(*status_code)
