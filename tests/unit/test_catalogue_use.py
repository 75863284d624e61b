"""The catalogue is the only source of words: every key is used somewhere, and no message,
caption or button a person reads is written as a literal in the code."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from views.texts import LANGUAGES, catalogue

# Every package of the bot: texts are worded in views/, but keys are also named in handlers,
# reminders, the CLI and the desk page.
PACKAGES = (
    "bot", "handlers", "reminders", "views", "web", "storage", "domain", "sms", "outbox",
    "services",
)  # fmt: skip
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
KEY_PREFIX = re.compile(r"[a-z]\.")  # a literal part such as `digest.kind.`


def sources() -> Iterator[tuple[Path, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def key_patterns() -> tuple[set[str], list[re.Pattern[str]]]:
    """String literals of the code, and f-strings naming a key as patterns: `{...}` matches one
    segment of a key. Only f-strings with a literal key prefix count (`f"digest.kind.{kind}"`);
    `f"{a}{b}"` would match every key and prove nothing."""
    literals: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for _, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                constants = [v.value for v in node.values if isinstance(v, ast.Constant)]
                if not any(KEY_PREFIX.search(c) for c in constants):
                    continue
                parts = [
                    re.escape(v.value) if isinstance(v, ast.Constant) else r"[^ .]+"
                    for v in node.values
                ]
                patterns.append(re.compile("".join(parts)))
    return literals, patterns


def unused_keys(keys: Iterable[str]) -> list[str]:
    literals, patterns = key_patterns()
    return [
        key
        for key in sorted(keys)
        if key not in literals and not any(p.fullmatch(key) for p in patterns)
    ]


def test_every_catalogue_key_is_used() -> None:
    assert unused_keys(catalogue("id")) == []


def test_an_unused_key_is_found() -> None:
    """The check above can fail: a key nothing names is reported, a named one is not."""
    assert unused_keys(["digest.kind.banjir", "digest.never_named", "checkin.status.line"]) == [
        "digest.never_named"
    ]


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
