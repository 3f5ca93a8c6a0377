"""Whose default applies to each option of a request. Pure.

Precedence, lowest to highest: the model's own default → server default → channel default →
the member's preference → what the member typed. Field by field: a value is taken from the
highest level that sets it, so a typed ``False`` beats a default ``True``.

What the member typed is always kept as typed (the catalogue then reports a bad value as the
member's). A default is skipped, and the level below consulted, when the model does not support
the option or when it would not fit the rest of the request: a size or count outside the rule of
the resulting mode (image-set or not), thinking with image-set mode on, image-set mode with a
palette or a typed size it does not allow, image-set mode off with a typed count only it allows.
So a default never turns a valid request into an invalid one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.catalogue import CATALOGUE, Feature, ImagineOptions, InvalidOption, ModelSpec
from bot.catalogue.sizes import normalize_size

from .model import ModelDefaults


class Source(StrEnum):
    """Where an effective value comes from."""

    BOT_DEFAULT = "bot_default"
    SERVER = "server"
    CHANNEL = "channel"
    MEMBER = "member"


class DefaultField(StrEnum):
    """The options a default can set; values are the :class:`ModelDefaults` field names."""

    SIZE = "size"
    COUNT = "count"
    PROMPT_EXTEND = "prompt_extend"
    THINKING_MODE = "thinking_mode"
    SEQUENTIAL = "sequential"
    WATERMARK = "watermark"


@dataclass(frozen=True, slots=True)
class Effective:
    """One option's effective value and where it comes from (``None`` value: does not apply)."""

    field: DefaultField
    value: str | int | bool | None
    source: Source


_FEATURE = {
    DefaultField.PROMPT_EXTEND: Feature.PROMPT_EXTEND,
    DefaultField.THINKING_MODE: Feature.THINKING_MODE,
    DefaultField.SEQUENTIAL: Feature.SEQUENTIAL,
}
_OPTION = {DefaultField.COUNT: "n"}  # ImagineOptions names that differ from ModelDefaults'


def apply_defaults(
    spec_key: str,
    typed: ImagineOptions,
    *,
    server: ModelDefaults | None,
    channel: ModelDefaults | None,
    preference: ModelDefaults | None,
) -> ImagineOptions:
    """Fill what the member left out from their preference, the channel's and the server's defaults.

    A field still ``None`` afterwards gets the model's own default from the catalogue.
    """
    resolved = _Resolver(CATALOGUE[spec_key], typed, server=server, channel=channel, preference=preference)
    return replace(
        typed,
        size=resolved.text(DefaultField.SIZE),
        n=resolved.number(DefaultField.COUNT),
        prompt_extend=resolved.flag(DefaultField.PROMPT_EXTEND),
        thinking_mode=resolved.flag(DefaultField.THINKING_MODE),
        sequential=resolved.flag(DefaultField.SEQUENTIAL),
        watermark=resolved.flag(DefaultField.WATERMARK),
    )


def effective_view(
    spec_key: str,
    *,
    server: ModelDefaults | None,
    channel: ModelDefaults | None = None,
    preference: ModelDefaults | None = None,
) -> tuple[Effective, ...]:
    """Each option the model supports, its effective value and its source (for the ``view`` commands).

    Pass ``channel`` and ``preference`` as they apply to whoever asks; leave them out for the
    server-wide view. ``thinking_mode`` shows ``None`` when image-set mode is on (not applicable).
    """
    spec = CATALOGUE[spec_key]
    resolved = _Resolver(spec, ImagineOptions(prompt=""), server=server, channel=channel, preference=preference)
    sequential = bool(resolved.value(DefaultField.SEQUENTIAL))
    builtin: dict[DefaultField, str | int | bool | None] = {
        DefaultField.SIZE: spec.default_size,
        DefaultField.COUNT: 1,
        DefaultField.PROMPT_EXTEND: spec.default_prompt_extend,
        DefaultField.THINKING_MODE: None if sequential else spec.default_thinking_mode,
        DefaultField.SEQUENTIAL: False,
        DefaultField.WATERMARK: False,
    }
    out = []
    for name in DefaultField:
        if name in _FEATURE and not spec.supports(_FEATURE[name]):
            continue
        value, source = resolved.value(name), resolved.source(name)
        out.append(Effective(name, builtin[name] if source is None else value, source or Source.BOT_DEFAULT))
    return tuple(out)


class _Resolver:
    """Picks each field from the highest level whose value fits; sequential first, as the rest depend on it."""

    def __init__(
        self,
        spec: ModelSpec,
        typed: ImagineOptions,
        *,
        server: ModelDefaults | None,
        channel: ModelDefaults | None,
        preference: ModelDefaults | None,
    ) -> None:
        self._spec = spec
        self._typed = typed
        levels = ((Source.MEMBER, preference), (Source.CHANNEL, channel), (Source.SERVER, server))
        self._levels = tuple((source, d) for source, d in levels if d is not None)
        self._picked: dict[DefaultField, tuple[str | int | bool | None, Source | None]] = {}
        fits: dict[DefaultField, Callable[[object], bool]] = {
            DefaultField.SEQUENTIAL: self._sequential_fits,
            DefaultField.SIZE: self._size_fits,
            DefaultField.COUNT: self._count_fits,
            DefaultField.THINKING_MODE: self._thinking_fits,
        }
        for name in (DefaultField.SEQUENTIAL, *(n for n in DefaultField if n is not DefaultField.SEQUENTIAL)):
            self._picked[name] = self._pick(name, fits.get(name, lambda _: True))

    def value(self, name: DefaultField) -> str | int | bool | None:
        """The field's value: typed, a default, or ``None`` for the model's own default."""
        return self._picked[name][0]

    def text(self, name: DefaultField) -> str | None:
        """The value of a text field."""
        value = self.value(name)
        return value if isinstance(value, str) else None

    def number(self, name: DefaultField) -> int | None:
        """The value of a whole-number field."""
        value = self.value(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def flag(self, name: DefaultField) -> bool | None:
        """The value of an on/off field."""
        value = self.value(name)
        return value if isinstance(value, bool) else None

    def source(self, name: DefaultField) -> Source | None:
        """The level a default came from; ``None`` if typed or left to the model."""
        return self._picked[name][1]

    def _pick(
        self, name: DefaultField, fits: Callable[[object], bool]
    ) -> tuple[str | int | bool | None, Source | None]:
        typed: str | int | bool | None = getattr(self._typed, _OPTION.get(name, name.value))
        if typed is not None:
            return typed, None
        if name in _FEATURE and not self._spec.supports(_FEATURE[name]):
            return None, None
        for source, defaults in self._levels:
            value: str | int | bool | None = getattr(defaults, name.value)
            if value is not None and fits(value):
                return value, source
        return None, None

    def _sequential(self) -> bool:
        return bool(self.value(DefaultField.SEQUENTIAL))

    def _sequential_fits(self, value: object) -> bool:
        typed = self._typed
        if not value:
            return typed.n is None or typed.n <= self._spec.max_n
        if typed.palette or typed.thinking_mode:
            return False
        return typed.size is None or self._size_fits(typed.size, sequential=True)

    def _size_fits(self, value: object, *, sequential: bool | None = None) -> bool:
        spec = self._spec
        sequential = self._sequential() if sequential is None else sequential
        rule = spec.sequential_sizes if sequential and spec.sequential_sizes else spec.sizes
        try:
            normalize_size(str(value), rule, ratio_sizes=spec.ratio_sizes)
        except InvalidOption:
            return False
        return True

    def _count_fits(self, value: object) -> bool:
        most = self._spec.max_n_sequential if self._sequential() else self._spec.max_n
        return isinstance(value, int) and 1 <= value <= most

    def _thinking_fits(self, value: object) -> bool:
        return not (value and self._sequential())
