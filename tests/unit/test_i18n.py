"""The language catalogues: complete in every locale, same placeholders, and no English left in the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.i18n import DEFAULT_LOCALE, Text, available_locales, messages, placeholders, supported_locale, t
from bot.i18n.catalogue import MissingMessage

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = messages(DEFAULT_LOCALE)
OTHERS = [locale for locale in available_locales() if locale != DEFAULT_LOCALE]


def test_there_are_english_and_simplified_chinese() -> None:
    assert available_locales()[0] == "en-US"
    assert "zh-CN" in available_locales()


@pytest.mark.parametrize("locale", OTHERS)
def test_every_key_exists_in_every_locale_and_nothing_else(locale: str) -> None:
    translated = messages(locale)
    assert sorted(set(ENGLISH) - set(translated)) == []
    assert sorted(set(translated) - set(ENGLISH)) == []


@pytest.mark.parametrize("locale", OTHERS)
def test_every_message_fills_in_the_same_placeholders(locale: str) -> None:
    translated = messages(locale)
    different = {
        key: (sorted(placeholders(ENGLISH[key])), sorted(placeholders(translated[key])))
        for key in ENGLISH
        if key in translated and placeholders(ENGLISH[key]) != placeholders(translated[key])
    }
    assert different == {}


@pytest.mark.parametrize("locale", available_locales())
def test_every_message_renders_with_its_placeholders(locale: str) -> None:
    for key, message in messages(locale).items():
        values: dict[str, object] = dict.fromkeys(placeholders(message), 1)
        assert t(key, locale, **values), key


@pytest.mark.parametrize("locale", available_locales())
def test_discord_markup_survives_translation(locale: str) -> None:
    """Mentions, timestamps and code spans are markup, not words: a translation keeps each one."""
    markup = re.compile(r"<t:\{\w+\}:R>|<@&?\{\w+\}>|<#\{\w+\}>|`/\w+")
    for key, message in ENGLISH.items():
        english = message if isinstance(message, str) else message["other"]
        translated = messages(locale)[key]
        other = translated if isinstance(translated, str) else translated["other"]
        assert sorted(markup.findall(english)) == sorted(markup.findall(other)), key
        assert english.count("`") % 2 == 0 and other.count("`") % 2 == 0, key


def test_plural_forms_follow_the_count() -> None:
    assert t("images", "en-US", count=1) == "1 image"
    assert t("images", "en-US", count=3) == "3 images"
    assert "3" in t("images", "zh-CN", count=3)


def test_a_deferred_text_renders_its_nested_values_in_the_same_language() -> None:
    rule = Text("rule.count.range", {"max": 6})
    message = Text("invalid_option", {"field": "count", "rule": rule, "value": 9})
    assert message.render("en-US") == "**count** must be 1 to 6. You gave: `9`."
    chinese = message.render("zh-CN")
    assert "count" in chinese and "6" in chinese and "9" in chinese and "must" not in chinese


@pytest.mark.parametrize(
    ("discord_locale", "catalogue"),
    [("en-US", "en-US"), ("en-GB", "en-US"), ("zh-CN", "zh-CN"), ("fr", "en-US"), ("ja", "en-US"), (None, "en-US")],
)
def test_a_discord_locale_reads_its_catalogue_or_english(discord_locale: str | None, catalogue: str) -> None:
    assert supported_locale(discord_locale) == catalogue


def test_a_missing_key_fails_loudly_in_tests() -> None:
    with pytest.raises(MissingMessage):
        t("no.such.key", "en-US")


def test_a_locale_without_a_file_falls_back_to_english() -> None:
    assert t("button.retry", "fr") == t("button.retry", "en-US") == "Retry"


# -- every key the code names exists ---------------------------------------------------------

_KEY_CALLS = {"t", "Text", "command_text"}


def _python_files() -> list[Path]:
    return sorted(p for folder in ("bot", "cogs") for p in (ROOT / folder).rglob("*.py"))


def _literal_keys() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and _name(node.func) in _KEY_CALLS and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.add((first.value, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


def test_every_key_named_in_the_code_is_in_the_english_catalogue() -> None:
    keys = _literal_keys()
    assert len(keys) > 100  # the scan sees the code
    assert sorted(where for key, where in keys if key not in ENGLISH) == []


def test_keys_built_from_enums_exist() -> None:
    from bot.images import SourceProblem
    from bot.jobs.events import Note
    from bot.policy import AccessRefusalKind, AllowanceKind, Source
    from bot.storage.records import Action, Status

    families = {
        "refusal.access": AccessRefusalKind,
        "refusal.allowance_name": AllowanceKind,
        "status.note": Note,
        "failure.source": SourceProblem,
        "job_status": Status,
        "info.action": Action,
        "settings.source": Source,
    }
    missing = [f"{prefix}.{member.value}" for prefix, enum in families.items() for member in enum]
    assert [key for key in missing if key not in ENGLISH] == []


# -- no English sentence left in the code ------------------------------------------------------

# Calls and keywords whose string arguments members read.
_SENDING = {
    "send_message", "send", "edit_message", "edit_original_response", "edit", "reply", "followup",
    "send_modal", "Embed", "add_field", "Button", "TextInput", "Modal", "Choice", "SelectOption",
    "TextDisplay", "describe", "Group", "command", "context_menu", "Confirmation", "Payload",
    "Failure", "InvalidOption", "Label", "Select", "MediaGalleryItem",
}  # fmt: skip
_NAMED = {"Group", "command", "context_menu"}  # their ``name`` is what members type, not words to translate
_SHOWN_KEYWORDS = {"content", "label", "placeholder", "title", "description", "name", "text", "value"}
_WORD = re.compile(r"[A-Za-z]{3,}")


def _where(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _words(node: ast.expr) -> str:
    """The literal text of a string or f-string (placeholders dropped)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_words(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _words(node.left) + " " + _words(node.right)
    return ""


def _english_in_messages(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call) or _name(node.func) not in _SENDING:
            continue
        call = _name(node.func)
        # Exceptions: an option's name (InvalidOption's field) and command names stay English by design.
        shown = list(node.args[1:] if call == "InvalidOption" else node.args)
        shown += [
            kw.value
            for kw in node.keywords
            if (kw.arg in _SHOWN_KEYWORDS or call == "describe") and not (kw.arg == "name" and call in _NAMED)
        ]
        for argument in shown:
            text = _words(argument)
            if _WORD.search(text) and "://" not in text:  # a link or an attachment:// name is not words
                found.append(f"{_where(path)}:{argument.lineno}: {text!r}")
    return found


def _english_sentences(path: Path) -> list[str]:
    """Any string that reads as an English sentence, outside docstrings and log or exception text."""
    tree = ast.parse(path.read_text(), str(path))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skipped.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _name(node.func.value) == "log":
            skipped.update(id(arg) for arg in ast.walk(node))
        if isinstance(node, ast.Raise) and node.exc is not None:
            skipped.update(id(arg) for arg in ast.walk(node.exc))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped or not isinstance(node, ast.Constant | ast.JoinedStr):
            continue
        text = _words(node)
        if len(_WORD.findall(text)) >= 3 and re.search(r"[A-Za-z]+ [a-z]+ [a-z]+", text):
            found.append(f"{_where(path)}:{node.lineno}: {text!r}")
    return found


def test_no_english_is_sent_from_the_code() -> None:
    found = [line for path in _python_files() for line in _english_in_messages(path)]
    assert found == []


def test_no_english_sentences_in_the_ui_and_the_cogs() -> None:
    """User-facing text lives in bot/i18n/locales; the ui and the cogs only name keys."""
    paths = [p for p in _python_files() if p.is_relative_to(ROOT / "bot" / "ui") or p.is_relative_to(ROOT / "cogs")]
    found = [line for path in paths for line in _english_sentences(path)]
    assert found == []


def test_the_scans_find_english_where_it_would_be(tmp_path: Path) -> None:
    """The two scans above are only worth something if they see a sentence slipped into the code."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""A docstring is fine."""\n'
        'NOTES = {"resumed": "Resumed after a restart of the bot."}\n'
        "async def answer(interaction):\n"
        '    log.info("logs stay in English for operators")\n'
        '    await interaction.response.send_message(f"Nothing to change {x}, give an option.")\n'
        '    Button(label="Retry")\n'
    )
    sent = _english_in_messages(sample)
    sentences = _english_sentences(sample)
    assert sorted(line.split(":")[1] for line in sent) == ["5", "6"]
    assert sorted(line.split(":")[1] for line in sentences) == ["2", "5"]
