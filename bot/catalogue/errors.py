"""The one error the catalogue raises: a user option that breaks a model's rule."""

from __future__ import annotations


class InvalidOption(ValueError):
    """An option value the gateway would reject.

    ``field`` is the option's user-facing name, ``rule`` what it must satisfy and ``value``
    what was given, so the message can name all three.
    """

    def __init__(self, field: str, rule: str, value: object) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        super().__init__(f"{field}: {rule} (got {value!r})")

    @property
    def user_message(self) -> str:
        """Render the error for an ephemeral reply."""
        shown = str(self.value).replace("`", "ˋ")  # a backtick in the value would end the code span early
        if len(shown) > 200:
            shown = shown[:199] + "…"
        return f"**{self.field}** {self.rule}. You gave: `{shown}`."
