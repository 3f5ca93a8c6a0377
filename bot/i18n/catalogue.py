"""Message catalogues: one TOML file per locale under ``locales/``, keyed by message id.

A message is a ``str.format`` template (``"{count} images"``), or a table of plural forms
(``{ one = "1 image", other = "{count} images" }``) picked by the ``count`` value. Tables nest,
and their path is the key: ``[refusal] shutting_down = "…"`` is ``refusal.shutting_down``.
``en-US`` is complete by definition and is the fallback for every other locale.
"""

from __future__ import annotations

import logging
import os
import string
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_LOCALE = "en-US"
LOCALES_DIR = Path(__file__).with_name("locales")
PLURAL_FORMS = frozenset({"one", "other"})
# Tests set this so that a missing key fails loudly instead of showing the key to a member.
STRICT = os.environ.get("IMAGINE_STRICT_I18N") == "1"


class MissingMessage(KeyError):
    """A key no catalogue has (raised only in strict mode; otherwise logged)."""


Message = str | Mapping[str, str]  # a template, or plural forms of one


@dataclass(frozen=True, slots=True)
class Text:
    """A message to be worded later, in whichever language the reader needs.

    Layers below the ui (the model catalogue, the policy) describe what to say as a ``Text``;
    the ui renders it with the reader's locale. Values that are themselves ``Text`` are rendered
    in the same locale.
    """

    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    def render(self, locale: str) -> str:
        """The message in ``locale`` (or English)."""
        return translate(self.key, locale, **self.values)


def translate(key: str, locale: str, /, **values: object) -> str:
    """The message ``key`` in ``locale``, with ``values`` filled in.

    A locale without the key falls back to English; a key missing everywhere is a bug, logged
    and shown as the key itself rather than crashing a reply (tests run strict: it raises).
    """
    message = _messages(locale).get(key)
    if message is None:
        message = _messages(DEFAULT_LOCALE).get(key)
    if message is None:
        if STRICT:
            raise MissingMessage(key)
        log.error("missing message %r", key)
        return key
    template = _plural(message, values.get("count"))
    rendered = {name: value.render(locale) if isinstance(value, Text) else value for name, value in values.items()}
    return template.format(**rendered)


@cache
def available_locales() -> tuple[str, ...]:
    """Every locale with a catalogue file, English first."""
    others = sorted(path.stem for path in LOCALES_DIR.glob("*.toml") if path.stem != DEFAULT_LOCALE)
    return (DEFAULT_LOCALE, *others)


def supported_locale(code: str | None) -> str:
    """The catalogue to use for a Discord locale code: the same one, else the same language, else English.

    ``en-GB`` reads ``en-US``; ``fr`` (no catalogue) reads ``en-US``.
    """
    if not code:
        return DEFAULT_LOCALE
    locales = available_locales()
    if code in locales:
        return code
    language = code.split("-", 1)[0].casefold()
    return next((locale for locale in locales if locale.split("-", 1)[0].casefold() == language), DEFAULT_LOCALE)


def messages(locale: str) -> Mapping[str, Message]:
    """Every message of one locale, by key (for the catalogue's own tests and tooling)."""
    return _messages(locale)


def placeholders(message: Message) -> frozenset[str]:
    """The names a message fills in (across all its plural forms)."""
    forms = [message] if isinstance(message, str) else list(message.values())
    return frozenset(
        name.split(".", 1)[0].split("[", 1)[0]
        for form in forms
        for _, name, _, _ in string.Formatter().parse(form)
        if name
    )


@cache
def _messages(locale: str) -> Mapping[str, Message]:
    path = LOCALES_DIR / f"{locale}.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as file:
        return dict(_flatten(tomllib.load(file), ""))


def _flatten(table: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Message]]:
    for name, value in table.items():
        key = prefix + name
        if isinstance(value, str):
            yield key, value
        elif isinstance(value, Mapping) and value and set(value) <= PLURAL_FORMS and "other" in value:
            yield key, {form: str(text) for form, text in value.items()}
        elif isinstance(value, Mapping):
            yield from _flatten(value, key + ".")
        else:
            raise ValueError(f"{key}: a message must be a string or a table, not {type(value).__name__}")


def _plural(message: Message, count: object) -> str:
    if isinstance(message, str):
        return message
    if count == 1 and "one" in message:
        return message["one"]
    return message["other"]
