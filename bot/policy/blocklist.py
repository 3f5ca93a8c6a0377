"""The server blocklist: how entries are stored and how a prompt is matched against them. Pure.

The rule, for each entry:

* Case-insensitive (Unicode case folding, after NFKC, so full-width ``ＣＡＴ`` is ``cat``);
  invisible format characters (zero-width spaces and joiners) in the prompt are ignored.
* Whole words: ``cat`` matches ``Cat!`` and ``cat's`` but not ``concatenate`` or ``cats``
  (list plurals separately). A word is a run of letters, digits or ``_``.
* Phrases: the words of ``red car`` may be separated by any run of spaces or punctuation, so
  ``A red  car`` and ``red-car`` match.
* Scripts written without spaces between words (Chinese, Japanese, Korean, Thai, Lao, Khmer,
  Myanmar) have no word boundaries to find: next to a character of those scripts, an entry
  matches as a plain substring, so ``猫`` matches ``一只猫在睡觉``, and ``cat`` still matches the
  ``cat`` in ``我的cat``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from itertools import pairwise

# Scripts written without spaces between words (Korean is spaced, but particles attach to nouns).
_UNSPACED_RANGES = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u1100-\u11ff"  # Hangul Jamo
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3000-\u303f"  # CJK symbols and punctuation
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003134f"  # CJK extensions B-G
)
_UNSPACED = re.compile(f"[{_UNSPACED_RANGES}]")
# A word character of a spaced script: the only thing that can extend a word past an entry's end.
_SPACED_WORD = rf"[^\W{_UNSPACED_RANGES}]"
_WHITESPACE = re.compile(r"\s+")


def normalize_entry(entry: str) -> str:
    """Store an entry as it is matched: NFKC, case-folded, spaces collapsed and trimmed."""
    return _WHITESPACE.sub(" ", _fold(entry)).strip()


def parse_entries(text: str) -> tuple[str, ...]:
    """Split what `/settings blocklist` was given (comma-separated, ASCII or CJK commas) into entries."""
    out: list[str] = []
    for part in re.split(r"[,，、]", text):
        entry = normalize_entry(part)
        if entry and entry not in out:
            out.append(entry)
    return tuple(out)


def find_blocked(texts: Iterable[str | None], entries: tuple[str, ...]) -> str | None:
    """The first entry (in list order) that occurs in any of ``texts``, or ``None``."""
    if not entries:
        return None
    folded = [_strip_invisible(_fold(text)) for text in texts if text]
    for entry, pattern in zip(entries, _patterns(entries), strict=True):
        if pattern is not None and any(pattern.search(text) for text in folded):
            return entry
    return None


@lru_cache(maxsize=512)
def _patterns(entries: tuple[str, ...]) -> tuple[re.Pattern[str] | None, ...]:
    return tuple(_pattern(entry) for entry in entries)


def _pattern(entry: str) -> re.Pattern[str] | None:
    words = normalize_entry(entry).split(" ")
    if words == [""]:
        return None
    parts = [re.escape(words[0])]
    for before, after in pairwise(words):
        # Between words: punctuation or spaces; none needed where a spaceless script meets.
        joins_unspaced = _UNSPACED.match(before[-1]) or _UNSPACED.match(after[0])
        parts.append(r"\W*" if joins_unspaced else r"\W+")
        parts.append(re.escape(after))
    body = "".join(parts)
    first, last = words[0][0], words[-1][-1]
    if _is_spaced_word_char(first):
        body = rf"(?<!{_SPACED_WORD})" + body
    if _is_spaced_word_char(last):
        body += rf"(?!{_SPACED_WORD})"
    return re.compile(body)


def _is_spaced_word_char(char: str) -> bool:
    return bool(re.match(r"\w", char)) and not _UNSPACED.match(char)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _strip_invisible(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
