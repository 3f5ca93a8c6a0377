"""What a member submitted in a modal, whatever its shape (classic action rows, or labels holding selects)."""

from __future__ import annotations

from typing import Any


def form_values(data: Any) -> dict[str, list[str]]:
    """custom_id → submitted values of every field of a modal (a text input gives one value)."""
    values: dict[str, list[str]] = {}
    stack = list(data.get("components", [])) if isinstance(data, dict) else []
    while stack:
        component = stack.pop()
        if component.get("type") == 1:
            stack.extend(component.get("components", []))
        elif component.get("type") == 18:
            stack.append(component["component"])
        elif "custom_id" in component:
            given = component.get("values")
            if given is None:
                given = [component.get("value") or ""]
            values[component["custom_id"]] = [str(value) for value in given]
    return values
