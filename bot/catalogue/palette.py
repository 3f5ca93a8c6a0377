"""Colour palette parsing: ``#1B2A41 30, #324A5F 25, …`` to the gateway's exact form."""

from __future__ import annotations

import re
from decimal import Decimal

from bot.gateway.models import PaletteColor
from bot.i18n import Text

from .errors import InvalidOption

FIELD = "palette"
MIN_COLORS = 3
MAX_COLORS = 10
_BASIS_POINTS = 10_000  # 100.00% in hundredths of a percent
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")
_SEPARATORS = re.compile(r"[,;\n]+")
# A plain decimal in ASCII digits, bounded: Decimal() alone would take "1E+999998" (and overflow
# when scaled), "NaN", "Infinity" and other scripts' digits.
_WEIGHT = re.compile(r"[0-9]{1,6}(?:\.[0-9]{0,4})?|\.[0-9]{1,4}")


def parse_palette(text: str) -> tuple[PaletteColor, ...]:
    """Parse a typed palette and return colours whose ratios sum to exactly 100.00%.

    Each entry is a hex colour optionally followed by a weight (``30``, ``30%``, ``12.5``).
    Weights are scaled to 100% (so ``3 2 1`` works); with no weights the split is equal.
    Rounding uses the largest-remainder method so the two-decimal ratios always add up.
    """
    entries = [part.strip() for part in _SEPARATORS.split(text) if part.strip()]
    if not MIN_COLORS <= len(entries) <= MAX_COLORS:
        raise InvalidOption(
            FIELD,
            Text("rule.palette.count", {"min": MIN_COLORS, "max": MAX_COLORS}),
            text,
        )
    hexes: list[str] = []
    weights: list[Decimal | None] = []
    for entry in entries:
        hex_part, _, weight_part = entry.partition(" ")
        match = _HEX.match(hex_part.strip())
        if match is None:
            raise InvalidOption(FIELD, Text("rule.palette.hex"), entry)
        hexes.append("#" + match[1].upper())
        weights.append(_parse_weight(weight_part.strip(), entry))
    given = [w for w in weights if w is not None]
    if given and len(given) != len(weights):
        raise InvalidOption(FIELD, Text("rule.palette.all_or_none"), text)
    shares = [w for w in weights if w is not None] if given else [Decimal(1)] * len(hexes)
    return tuple(
        PaletteColor(hex=h, ratio=f"{points / 100:.2f}%")
        for h, points in zip(hexes, _split_basis_points(shares, text), strict=True)
    )


def _parse_weight(text: str, entry: str) -> Decimal | None:
    if not text:
        return None
    number = text.removesuffix("%").strip()
    if _WEIGHT.fullmatch(number) is None:
        raise InvalidOption(FIELD, Text("rule.palette.weight"), entry)
    weight = Decimal(number)
    if weight <= 0:
        raise InvalidOption(FIELD, Text("rule.palette.positive"), entry)
    return weight


def _split_basis_points(weights: list[Decimal], text: str) -> list[int]:
    total = sum(weights, Decimal(0))
    exact = [w * _BASIS_POINTS / total for w in weights]
    points = [int(x) for x in exact]
    leftover = _BASIS_POINTS - sum(points)
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - points[i], reverse=True)
    for i in by_remainder[:leftover]:
        points[i] += 1
    if any(p == 0 for p in points):
        raise InvalidOption(FIELD, Text("rule.palette.minimum"), text)
    return points
