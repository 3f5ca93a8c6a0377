"""The one error the catalogue raises: a user option that breaks a model's rule."""

from __future__ import annotations

from bot.i18n import Text

_SHOWN_MAX = 200  # characters of the given value quoted back


class InvalidOption(ValueError):
    """An option value the gateway would reject.

    ``field`` is the option's name as the member sees it, ``rule`` what it must satisfy (worded
    later, in the member's language) and ``value`` what was given, so the message names all three.
    """

    def __init__(self, field: str, rule: Text, value: object) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        super().__init__(f"{field}: {rule.key} {dict(rule.values)} (got {value!r})")

    def message(self) -> Text:
        """What the member reads: the field, the rule and the value they gave."""
        shown = str(self.value).replace("`", "ˋ")  # a backtick in the value would end the code span early
        if len(shown) > _SHOWN_MAX:
            shown = shown[: _SHOWN_MAX - 1] + "…"
        return Text("invalid_option", {"field": self.field, "rule": self.rule, "value": shown})
