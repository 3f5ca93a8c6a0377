"""Components V2 messages (flag IS_COMPONENTS_V2): Discord's layout rules, component ids, and reading them back."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from ._errors import DiscordError, invalid_form

IS_COMPONENTS_V2 = 1 << 15
MAX_TOTAL_COMPONENTS = 40  # every component counts, however deeply nested
MAX_TOTAL_TEXT = 4000  # all text displays of a message together
MAX_GALLERY_ITEMS = 10
MAX_MEDIA_DESCRIPTION = 1024
MAX_CUSTOM_ID = 100
MAX_BUTTON_LABEL = 80
MAX_SELECT_PLACEHOLDER = 150
MAX_SELECT_OPTIONS = 25
SELECTS = frozenset((3, 5, 6, 7, 8))
_TOP_LEVEL = frozenset((1, 9, 10, 12, 13, 14, 17))
_IN_CONTAINER = frozenset((1, 9, 10, 12, 13, 14))
_LEGACY_FIELDS = ("content", "embeds", "poll", "sticker_ids")
_ATTACHMENT = "attachment://"


def walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component, depth first in document order: children, a section's accessory, a label's component."""
    for component in components:
        yield component
        yield from walk(component.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                yield from walk([component[key]])


def texts(components: list[dict[str, Any]]) -> list[str]:
    """The text displays' contents, in reading order."""
    return [c.get("content") or "" for c in walk(components) if c.get("type") == 10]


def gallery_media(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The media gallery items (``{"media": {"url"}, "description"?}``) in reading order."""
    return [item for c in walk(components) if c.get("type") == 12 for item in c.get("items") or []]


def resolve_media(components: list[dict[str, Any]], attachments: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """What Discord returns: ``attachment://name`` media become the attachment's CDN link and its metadata."""
    out = copy.deepcopy(components)
    for component in walk(out):
        media = [component.get("media"), component.get("file")] + [i.get("media") for i in component.get("items") or []]
        for item in media:
            if not isinstance(item, dict) or not str(item.get("url", "")).startswith(_ATTACHMENT):
                continue
            attachment = attachments.get(item["url"].removeprefix(_ATTACHMENT))
            if attachment is not None:
                keys = ("url", "proxy_url", "content_type", "width", "height")
                item.update({key: attachment[key] for key in keys if key in attachment})
                item.update({"attachment_id": attachment["id"], "flags": 0})
    return out


def check_layout(payload: dict[str, Any], filenames: set[str], *, creating: bool) -> list[dict[str, Any]]:
    """Validate a Components V2 message body; return its components with ids filled in as Discord numbers them.

    ``filenames`` are the files the message will hold (uploaded now, or kept by an edit): the only ones
    ``attachment://`` may name.
    """
    for field in _LEGACY_FIELDS:
        if payload.get(field):
            raise invalid_form(
                field, "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                f"The '{field}' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
            )  # fmt: skip
    components = payload.get("components")
    if components is None and not creating:
        return []
    if not components:
        raise DiscordError(400, 50006, "Cannot send an empty message")
    checker = _Checker(filenames)
    for index, component in enumerate(components):
        checker.component(component, f"components.{index}", _TOP_LEVEL)
    if checker.count > MAX_TOTAL_COMPONENTS:
        raise invalid_form(
            "components", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_TOTAL_COMPONENTS} or fewer in total (nested included)."
        )
    if checker.text > MAX_TOTAL_TEXT:
        raise invalid_form(
            "components", "BASE_TYPE_MAX_LENGTH", f"Text displays must total {MAX_TOTAL_TEXT} or fewer characters."
        )
    return number_components(components)


def number_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy with every component's ``id``: given ids stay, the others count up from 1, skipping used ones."""
    out = copy.deepcopy(components)
    used = {c["id"] for c in walk(out) if isinstance(c.get("id"), int)}
    next_id = 1
    for component in walk(out):
        if isinstance(component.get("id"), int):
            continue
        while next_id in used:
            next_id += 1
        component["id"] = next_id
        used.add(next_id)
    return out


class _Checker:
    """One pass over a message's component tree: the per-type rules, and the totals Discord counts."""

    def __init__(self, filenames: set[str]) -> None:
        self.filenames = filenames
        self.count = 0
        self.text = 0
        self.custom_ids: set[str] = set()
        self.ids: set[int] = set()

    def component(self, component: dict[str, Any], where: str, allowed: frozenset[int]) -> None:
        kind = component.get("type")
        if kind not in allowed:
            raise invalid_form(f"{where}.type", "UNION_TYPE_CHOICES", f"Component type {kind} is not allowed here.")
        self.count += 1
        given = component.get("id")
        if isinstance(given, int):
            if given in self.ids:
                raise invalid_form(f"{where}.id", "COMPONENT_ID_DUPLICATED", "Component id cannot be duplicated")
            self.ids.add(given)
        children = component.get("components") or []
        if kind == 17:
            if not children:
                raise invalid_form(f"{where}.components", "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
            for i, child in enumerate(children):
                self.component(child, f"{where}.components.{i}", _IN_CONTAINER)
        elif kind == 1:
            self.row(children, f"{where}.components")
        elif kind == 9:
            if not 1 <= len(children) <= 3:
                raise invalid_form(f"{where}.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 3 in length.")
            for i, child in enumerate(children):
                self.component(child, f"{where}.components.{i}", frozenset((10,)))
            accessory = component.get("accessory")
            if not isinstance(accessory, dict):
                raise invalid_form(f"{where}.accessory", "BASE_TYPE_REQUIRED", "This field is required")
            self.component(accessory, f"{where}.accessory", frozenset((2, 11)))
        elif kind == 2:
            self.button(component, where)
        elif kind in SELECTS:
            self.select(component, where)
        elif kind == 10:
            content = component.get("content") or ""
            if not 1 <= len(content) <= MAX_TOTAL_TEXT:
                raise invalid_form(f"{where}.content", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 4000 in length.")
            self.text += len(content)
        elif kind == 11:
            self.media(component, where)
        elif kind == 12:
            items = component.get("items") or []
            if not 1 <= len(items) <= MAX_GALLERY_ITEMS:
                raise invalid_form(f"{where}.items", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 10 in length.")
            for i, item in enumerate(items):
                self.media(item, f"{where}.items.{i}")
        elif kind == 13:
            url = str((component.get("file") or {}).get("url", ""))
            if not url.startswith(_ATTACHMENT):
                raise invalid_form(f"{where}.file.url", "UNFURLED_MEDIA_ATTACHMENT_REQUIRED",
                                   "A file component only takes attachment:// references.")  # fmt: skip
            self.media({"media": component["file"]}, where)
        elif kind == 14 and component.get("spacing") not in (None, 1, 2):
            raise invalid_form(f"{where}.spacing", "BASE_TYPE_CHOICES", "Value must be one of (1, 2).")

    def row(self, children: list[dict[str, Any]], where: str) -> None:
        if not 1 <= len(children) <= 5:
            raise invalid_form(where, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
        kinds = {child.get("type") for child in children}
        if kinds & SELECTS and len(children) > 1:
            raise invalid_form(where, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "A select fills its action row on its own.")
        for i, child in enumerate(children):
            self.component(child, f"{where}.{i}", frozenset((2, *SELECTS)))

    def custom_id(self, component: dict[str, Any], where: str) -> None:
        custom_id = component.get("custom_id")
        if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
            raise invalid_form(f"{where}.custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if custom_id in self.custom_ids:
            raise invalid_form(
                f"{where}.custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
            )
        self.custom_ids.add(custom_id)

    def button(self, button: dict[str, Any], where: str) -> None:
        style = button.get("style")
        if style == 5:
            if not button.get("url") or "custom_id" in button:
                raise invalid_form(f"{where}.url", "BUTTON_COMPONENT_URL_REQUIRED", "A link button takes a url only.")
        elif style != 6:
            self.custom_id(button, where)
        if len(button.get("label") or "") > MAX_BUTTON_LABEL:
            raise invalid_form(f"{where}.label", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_BUTTON_LABEL} or fewer.")

    def select(self, select: dict[str, Any], where: str) -> None:
        self.custom_id(select, where)
        check_select(select, where)

    def media(self, item: dict[str, Any], where: str) -> None:
        url = str((item.get("media") or {}).get("url", ""))
        if url.startswith(_ATTACHMENT):
            if url.removeprefix(_ATTACHMENT) not in self.filenames:
                raise invalid_form(f"{where}.media.url", "UNFURLED_MEDIA_ATTACHMENT_NOT_FOUND",
                                   f"No file named {url.removeprefix(_ATTACHMENT)!r} is attached.")  # fmt: skip
        elif urlsplit(url).scheme not in ("http", "https"):
            raise invalid_form(f"{where}.media.url", "URL_TYPE_INVALID_SCHEME",
                               "Scheme must be one of ('http', 'https', 'attachment').")  # fmt: skip
        description = item.get("description")
        if description is not None and not 1 <= len(description) <= MAX_MEDIA_DESCRIPTION:
            raise invalid_form(f"{where}.description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 1024 in length.")


def check_select(select: dict[str, Any], where: str) -> None:
    """A select's own rules, in a message or a modal: placeholder, options, and min/max values."""
    if len(select.get("placeholder") or "") > MAX_SELECT_PLACEHOLDER:
        raise invalid_form(f"{where}.placeholder", "BASE_TYPE_MAX_LENGTH", "Must be 150 or fewer in length.")
    options = select.get("options") or []
    if select.get("type") == 3:
        if not 1 <= len(options) <= MAX_SELECT_OPTIONS:
            raise invalid_form(f"{where}.options", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
        values = [option.get("value") for option in options]
        if len(set(values)) != len(values):
            raise invalid_form(
                f"{where}.options", "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED", "Option values must be unique"
            )
        for i, option in enumerate(options):
            for key in ("label", "value", "description"):
                if key in option and option[key] is not None and not 1 <= len(option[key]) <= 100:
                    raise invalid_form(f"{where}.options.{i}.{key}", "BASE_TYPE_BAD_LENGTH",
                                       "Must be between 1 and 100 in length.")  # fmt: skip
    low, high = select.get("min_values", 1), select.get("max_values", 1)
    low, high = 1 if low is None else low, 1 if high is None else high
    most = len(options) if select.get("type") == 3 else MAX_SELECT_OPTIONS
    if not 0 <= low <= MAX_SELECT_OPTIONS or not 1 <= high <= most or low > high:
        rule = "min_values and max_values must satisfy 0 <= min <= max <= the number of options."
        raise invalid_form(f"{where}.max_values", "SELECT_COMPONENT_VALUES_INVALID", rule)
