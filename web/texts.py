"""The page's words: `web/locales/{id,en}.toml`, Indonesian first (a test keeps both in step).

Templates escape every value (Jinja2 autoescape), so unlike the bot's catalogue nothing here
is HTML; `t(lang, key, **values)` only fills `{placeholders}`.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


def _flatten(prefix: str, table: dict[str, Any], into: dict[str, str]) -> None:
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(full, value, into)
        else:
            into[full] = str(value)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every key of one language, nested tables joined with dots."""
    entries: dict[str, str] = {}
    with (LOCALES_DIR / f"{lang}.toml").open("rb") as handle:
        _flatten("", tomllib.load(handle), entries)
    return entries


def t(lang: str, key: str, /, **values: object) -> str:
    """The text `key` in `lang` (Indonesian when the language is unknown)."""
    chosen = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    template = catalogue(chosen).get(key) or catalogue(DEFAULT_LANGUAGE)[key]
    return template.format(**values) if values else template


def number(lang: str, value: int) -> str:
    """Thousands grouped as the reader writes them: 1.247 (id), 1,247 (en)."""
    grouped = f"{value:,}"
    return grouped.replace(",", ".") if lang == "id" else grouped
