"""The declarative description of one model, and how user options become its request."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.gateway.models import GenerationRequest, ImageSource
from bot.i18n import Text

from .edit import EditInput, EditOptions, EditSpec, build_edit
from .errors import InvalidOption
from .palette import parse_palette
from .sizes import SizeRule, dimensions, normalize_size

SEED_MAX = 2_147_483_647


class Feature(StrEnum):
    """Optional fields a model may accept; values are the wire names."""

    NEGATIVE_PROMPT = "negative_prompt"
    PROMPT_EXTEND = "prompt_extend"
    THINKING_MODE = "thinking_mode"
    SEQUENTIAL = "enable_sequential"
    COLOR_PALETTE = "color_palette"
    BBOX_LIST = "bbox_list"  # edits only: boxes the edit is confined to


@dataclass(frozen=True, slots=True)
class ImagineOptions:
    """What a user typed, before validation. ``None`` means "not given"."""

    prompt: str
    size: str | None = None
    n: int | None = None
    seed: int | None = None
    negative_prompt: str | None = None
    prompt_extend: bool | None = None
    watermark: bool | None = None
    thinking_mode: bool | None = None
    sequential: bool | None = None
    palette: str | None = None


@dataclass(frozen=True, slots=True)
class SizeSuggestion:
    """One autocomplete entry for ``size``."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Everything the bot knows about one model; commands, validation and UI read it."""

    key: str  # the subcommand name, e.g. "qwen"
    model_id: str  # the wire name, e.g. "qwen-image-2.0-pro"
    display_name: str
    prompt_max: int
    features: frozenset[Feature]
    sizes: SizeRule
    default_size: str
    max_n: int
    ratio_sizes: Mapping[str, str]  # "16:9" -> a suggested wire size for that aspect
    edit: EditSpec  # the edit endpoint: members' images, variations, regions
    negative_prompt_max: int = 0
    sequential_sizes: SizeRule | None = None  # stricter size rule in image-set mode
    max_n_sequential: int = 0
    default_prompt_extend: bool = True
    default_thinking_mode: bool = True

    @property
    def edit_max_bytes(self) -> int:
        """The largest input image the edit endpoint takes (``edit.max_bytes``)."""
        return self.edit.max_bytes

    def supports(self, feature: Feature) -> bool:
        """Whether this model accepts an optional field."""
        return feature in self.features

    def size_suggestions(self) -> list[SizeSuggestion]:
        """Presets first, then the aspect ratios, for autocomplete."""
        out = [SizeSuggestion(f"{name} — {w}×{h}", name) for name, (w, h) in self.sizes.presets.items()]
        for ratio, wire in self.ratio_sizes.items():
            w, h = dimensions(wire, self.sizes.presets)
            out.append(SizeSuggestion(f"{ratio} — {w}×{h}", wire))
        return out

    def build_request(self, options: ImagineOptions, *, random_seed: Callable[[], int]) -> GenerationRequest:
        """Validate ``options`` against every rule of this model and build the request.

        Raises :class:`InvalidOption` naming the field, the rule and the value.
        """
        prompt = options.prompt.strip()
        if not prompt:
            raise InvalidOption("prompt", Text("rule.not_empty"), options.prompt)
        if len(prompt) > self.prompt_max:
            raise InvalidOption(
                "prompt",
                Text("rule.max_characters", {"limit": self.prompt_max, "length": len(prompt)}),
                _clip(prompt),
            )
        self._reject_unsupported(options)

        sequential = bool(options.sequential)
        size = self._size(options.size, sequential)
        n = self.check_count(1 if options.n is None else options.n, sequential=sequential)
        seed = options.seed if options.seed is not None else random_seed()
        if not 0 <= seed <= SEED_MAX:
            raise InvalidOption("seed", Text("rule.seed", {"max": SEED_MAX}), seed)

        negative = None
        if self.supports(Feature.NEGATIVE_PROMPT) and options.negative_prompt:
            negative = options.negative_prompt.strip() or None  # blank is "not given", not an empty field
            if negative is not None and len(negative) > self.negative_prompt_max:
                raise InvalidOption(
                    "negative_prompt",
                    Text("rule.max_characters", {"limit": self.negative_prompt_max, "length": len(negative)}),
                    _clip(negative),
                )

        palette = None
        if options.palette:
            if sequential:
                raise InvalidOption("palette", Text("rule.palette.not_in_image_set"), options.palette)
            palette = parse_palette(options.palette)

        thinking = None
        if self.supports(Feature.THINKING_MODE):
            if sequential and options.thinking_mode:
                raise InvalidOption("thinking", Text("rule.thinking.not_in_image_set"), True)
            thinking = None if sequential else _default(options.thinking_mode, self.default_thinking_mode)

        return GenerationRequest(
            model=self.model_id,
            prompt=prompt,
            size=size,
            n=n,
            seed=seed,
            watermark=bool(options.watermark),
            negative_prompt=negative,
            prompt_extend=(
                _default(options.prompt_extend, self.default_prompt_extend)
                if self.supports(Feature.PROMPT_EXTEND)
                else None
            ),
            thinking_mode=thinking,
            enable_sequential=sequential if self.supports(Feature.SEQUENTIAL) else None,
            color_palette=palette,
        )

    def variation(self, parent: GenerationRequest, source: ImageSource, *, seed: int) -> GenerationRequest:
        """A variation of one image of ``parent``: an edit with the original prompt as the instruction.

        The size is kept when the edit endpoint accepts it, else the edit default (e.g. wan 4K → 2K);
        the count is kept within the edit endpoint's range; text-to-image-only fields are dropped.
        """
        try:
            size = normalize_size(parent.size, self.edit.sizes, ratio_sizes={})
        except InvalidOption:
            size = self.edit.default_size
        return GenerationRequest(
            model=self.model_id,
            prompt=parent.prompt,
            size=size,
            n=max(1, min(parent.n, self.edit.max_n)),
            seed=seed,
            watermark=parent.watermark,
            negative_prompt=parent.negative_prompt if Feature.NEGATIVE_PROMPT in self.edit.features else None,
            prompt_extend=parent.prompt_extend if Feature.PROMPT_EXTEND in self.edit.features else None,
            source=source,
        )

    def build_edit(
        self, options: EditOptions, inputs: Sequence[EditInput], *, random_seed: Callable[[], int]
    ) -> GenerationRequest:
        """Validate an edit of ``inputs`` (checked images, in order) and build its request.

        Raises :class:`InvalidOption` naming the image (``image2``) or option, the rule and the
        value. See :func:`bot.catalogue.edit.build_edit`.
        """
        return build_edit(self, options, inputs, random_seed=random_seed)

    def _reject_unsupported(self, options: ImagineOptions) -> None:
        given = {
            Feature.NEGATIVE_PROMPT: options.negative_prompt,
            Feature.PROMPT_EXTEND: options.prompt_extend,
            Feature.THINKING_MODE: options.thinking_mode,
            Feature.SEQUENTIAL: options.sequential,
            Feature.COLOR_PALETTE: options.palette,
        }
        for feature, value in given.items():
            if value is not None and not self.supports(feature):
                raise InvalidOption(feature.value, Text("rule.unsupported", {"model": self.display_name}), value)

    def _size(self, typed: str | None, sequential: bool) -> str:
        rule = self.sequential_sizes if sequential and self.sequential_sizes else self.sizes
        if typed is None or not typed.strip():
            return self.default_size
        return normalize_size(typed, rule, ratio_sizes=self.ratio_sizes, image_set=rule is not self.sizes)

    def check_count(self, count: int, *, sequential: bool) -> int:
        """``count`` if this model makes that many images in one request (in image-set mode or not), else raise."""
        if sequential:
            if not 1 <= count <= self.max_n_sequential:
                raise InvalidOption("count", Text("rule.count.image_set", {"max": self.max_n_sequential}), count)
        elif not 1 <= count <= self.max_n:
            if self.supports(Feature.SEQUENTIAL):
                rule = Text("rule.count.with_image_set", {"max": self.max_n, "image_set_max": self.max_n_sequential})
            else:
                rule = Text("rule.count.range", {"max": self.max_n})
            raise InvalidOption("count", rule, count)
        return count


def _default(value: bool | None, default: bool) -> bool:
    return default if value is None else value


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
