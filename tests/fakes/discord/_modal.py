"""Modals: the rules Discord applies to a modal the bot opens, and the body Discord sends when a member submits it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._errors import invalid_form
from ._layout import SELECTS, check_select, number_components, walk

MAX_TOP_LEVEL = 5
MAX_LABEL = 45
MAX_LABEL_DESCRIPTION = 100
MAX_TEXT_PLACEHOLDER = 100
MAX_TEXT_LENGTH = 4000
_IN_LABEL = frozenset((4, *SELECTS))

ModalValue = str | Sequence[str]


def check_modal(data: dict[str, Any]) -> None:
    """A modal (callback type 9): 1–5 top-level rows, labels or text displays; unique custom ids; each part's limits."""
    if not 1 <= len(data.get("custom_id") or "") <= 100:
        raise invalid_form("data.custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    if not 1 <= len(data.get("title") or "") <= MAX_LABEL:
        raise invalid_form("data.title", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
    components = data.get("components") or []
    if not 1 <= len(components) <= MAX_TOP_LEVEL:
        raise invalid_form("data.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    seen: set[str] = set()
    for index, component in enumerate(components):
        where = f"data.components.{index}"
        kind = component.get("type")
        if kind == 1:  # the classic form: one text input per action row, with its own label
            children = component.get("components") or []
            if len(children) != 1 or children[0].get("type") != 4:
                raise invalid_form(f"{where}.components", "MODAL_ACTION_ROW_INVALID",
                                   "An action row in a modal holds exactly one text input.")  # fmt: skip
            if not 1 <= len(children[0].get("label") or "") <= MAX_LABEL:
                raise invalid_form(f"{where}.components.0.label", "BASE_TYPE_BAD_LENGTH",
                                   "Must be between 1 and 45 in length.")  # fmt: skip
            _check_field(children[0], f"{where}.components.0", seen)
        elif kind == 18:
            if not 1 <= len(component.get("label") or "") <= MAX_LABEL:
                raise invalid_form(f"{where}.label", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
            if len(component.get("description") or "") > MAX_LABEL_DESCRIPTION:
                raise invalid_form(f"{where}.description", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
            inner = component.get("component")
            if not isinstance(inner, dict) or inner.get("type") not in _IN_LABEL:
                raise invalid_form(f"{where}.component", "UNION_TYPE_CHOICES",
                                   "A label wraps one text input or select.")  # fmt: skip
            _check_field(inner, f"{where}.component", seen)
        elif kind == 10:
            if not 1 <= len(component.get("content") or "") <= MAX_TEXT_LENGTH:
                raise invalid_form(f"{where}.content", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 4000 in length.")
        else:
            raise invalid_form(
                f"{where}.type", "UNION_TYPE_CHOICES", f"Component type {kind} is not allowed in a modal."
            )


def _check_field(field: dict[str, Any], where: str, seen: set[str]) -> None:
    custom_id = field.get("custom_id")
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
        raise invalid_form(f"{where}.custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    if custom_id in seen:
        raise invalid_form(
            f"{where}.custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
        )
    seen.add(custom_id)
    if field.get("type") == 4:
        if field.get("style") not in (1, 2):
            raise invalid_form(f"{where}.style", "BASE_TYPE_CHOICES", "Value must be one of (1, 2).")
        if len(field.get("placeholder") or "") > MAX_TEXT_PLACEHOLDER:
            raise invalid_form(f"{where}.placeholder", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        low, high = field.get("min_length") or 0, field.get("max_length") or MAX_TEXT_LENGTH
        if not 0 <= low <= high <= MAX_TEXT_LENGTH or len(field.get("value") or "") > high:
            rule = "min_length, max_length and value must satisfy 0 <= min <= len(value) <= max <= 4000."
            raise invalid_form(f"{where}.max_length", "BASE_TYPE_BAD_LENGTH", rule)
        return
    if field.get("disabled"):
        raise invalid_form(
            f"{where}.disabled", "COMPONENT_DISABLED_IN_MODAL", "A select in a modal cannot be disabled."
        )
    check_select(field, where)


def submitted(modal: Mapping[str, Any] | None, values: Mapping[str, ModalValue]) -> list[dict[str, Any]]:
    """``data.components`` of the MODAL_SUBMIT Discord sends for ``modal`` filled with ``values``.

    Text inputs take a string and selects a list of option values. A member cannot leave a required
    field empty, pick an option that is not offered, or pick more or fewer than the select allows; such
    values raise ``ValueError``. Without the modal (``None``), a string becomes a classic action-row
    text input and a list a string select inside a label.
    """
    if modal is None:
        return number_components([_guessed(custom_id, value) for custom_id, value in values.items()])
    layout = number_components(list(modal.get("components") or []))
    fields = {f["custom_id"] for f in walk(layout) if "custom_id" in f}
    unknown = set(values) - fields
    if unknown:
        raise ValueError(f"the modal has no field {sorted(unknown)}")
    out: list[dict[str, Any]] = []
    for component in layout:
        if component["type"] == 10:
            out.append({"type": 10, "id": component["id"]})
        elif component["type"] == 1:
            inner = component["components"][0]
            row = [_answer(inner, values.get(inner["custom_id"]))]
            out.append({"type": 1, "id": component["id"], "components": row})
        else:
            inner = component["component"]
            out.append({"type": 18, "id": component["id"], "component": _answer(inner, values.get(inner["custom_id"]))})
    return out


def _answer(field: dict[str, Any], value: ModalValue | None) -> dict[str, Any]:
    base = {"type": field["type"], "id": field["id"], "custom_id": field["custom_id"]}
    required = field.get("required", True) is not False
    if field["type"] == 4:  # left alone, a text input submits the value the modal pre-filled
        if value is not None and not isinstance(value, str):
            raise ValueError(f"text input {field['custom_id']!r} takes a string")
        text = value if value is not None else field.get("value") or ""
        low = field.get("min_length") or (1 if required else 0)
        if (required or text) and not low <= len(text) <= (field.get("max_length") or MAX_TEXT_LENGTH):
            raise ValueError(f"Discord would not submit {text!r} for {field['custom_id']!r}")
        return base | {"value": text}
    if isinstance(value, str):
        raise ValueError(f"select {field['custom_id']!r} takes a list of values")
    defaults = [o["value"] for o in field.get("options") or [] if o.get("default")]
    chosen = list(value) if value is not None else defaults
    offered = {o["value"] for o in field.get("options") or []}
    low = field.get("min_values", 1) if required else 0
    high = field.get("max_values", 1) or 1
    if field["type"] == 3 and not set(chosen) <= offered:
        raise ValueError(f"select {field['custom_id']!r} offers {sorted(offered)}, not {chosen}")
    if not (low or 0) <= len(chosen) <= high:
        raise ValueError(f"select {field['custom_id']!r} takes {low}–{high} values, not {len(chosen)}")
    return base | {"values": chosen}


def _guessed(custom_id: str, value: ModalValue) -> dict[str, Any]:
    if isinstance(value, str):
        return {"type": 1, "components": [{"type": 4, "custom_id": custom_id, "value": value}]}
    return {"type": 18, "component": {"type": 3, "custom_id": custom_id, "values": list(value)}}
