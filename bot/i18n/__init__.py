"""User-facing text in every supported language: ``t(key, locale, **values)`` and deferred ``Text``.

Adding a language is adding one file, ``bot/i18n/locales/<Discord locale>.toml``.
"""

from .catalogue import (
    DEFAULT_LOCALE,
    Text,
    available_locales,
    messages,
    placeholders,
    supported_locale,
)
from .catalogue import translate as t

__all__ = [
    "DEFAULT_LOCALE",
    "Text",
    "available_locales",
    "messages",
    "placeholders",
    "supported_locale",
    "t",
]
