"""The catalogue is the only source of words: every key is used somewhere, and no message,
caption or button a person reads is written as a literal in the code."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from views.texts import LANGUAGES, catalogue

PACKAGES = ("handlers", "reminders", "bot")
# Calls that put text in front of a person, and where that text goes.
SENDERS = {
    "reply": (1, "body"),
    "send_message": (1, "text"),
    "edit_message_text": (0, "text"),
    "answer": (0, "text"),
    "reply_text": (0, "text"),
    "safe_send": (2, "body"),
    "InlineKeyboardButton": (0, "text"),
    "KeyboardButton": (0, "text"),
}
CAPTION_KEYWORDS = {"caption"}
WORDS = re.compile(r"[A-Za-z]{3,}")


def sources() -> Iterator[tuple[Path, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def key_patterns() -> tuple[set[str], list[re.Pattern[str]]]:
    """String literals of the code, and f-strings as patterns ({...} matches anything)."""
    literals: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for _, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                parts = [
                    re.escape(v.value) if isinstance(v, ast.Constant) else r"[^ ]+"
                    for v in node.values
                ]
                patterns.append(re.compile("".join(parts)))
    return literals, patterns


def test_every_catalogue_key_is_used() -> None:
    literals, patterns = key_patterns()
    unused = [
        key
        for key in sorted(catalogue("id"))
        if key not in literals and not any(p.fullmatch(key) for p in patterns)
    ]
    assert unused == []


def _literal_words(node: ast.expr | None) -> str | None:
    """The words of a literal (or f-string) argument, if it has any."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if WORDS.search(node.value) else None
    if isinstance(node, ast.JoinedStr):
        joined = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        return joined if WORDS.search(re.sub(r"<[^>]+>", "", joined)) else None
    return None


def bypasses() -> list[str]:
    found = []
    for path, tree in sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            args: list[ast.expr | None] = []
            if name in SENDERS:
                position, keyword = SENDERS[name]
                args.append(node.args[position] if len(node.args) > position else None)
                args += [k.value for k in node.keywords if k.arg == keyword]
            args += [k.value for k in node.keywords if k.arg in CAPTION_KEYWORDS]
            for arg in args:
                words = _literal_words(arg)
                if words is not None:
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}: {words!r}")
    return found


def test_no_message_caption_or_button_bypasses_the_catalogue() -> None:
    assert bypasses() == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_internal_keys_or_raw_values_in_the_texts(lang: str) -> None:
    """What people read carries words, not `level=none`, `[severe]` or a bare `v1`."""
    for key, value in catalogue(lang).items():
        assert not re.search(r"\b[a-z_]+=[a-z]", value), key
        assert "[{severity}]" not in value and not re.search(r"\bv\{version\}", value), key
        assert "UTC" not in value, key  # the desk's zone, never UTC
