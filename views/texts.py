"""The text catalogue: one folder per language under `locales/`, one TOML file per feature.

`text(lang, key, **values)` formats a message; every value is HTML-escaped unless it is wrapped
in `Html`, so names, notes and places typed by people can never break a message.
"""

from __future__ import annotations

import html
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from domain.roles import Role

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


class Html(str):
    """A string that is already valid Telegram HTML and must not be escaped again."""

    __slots__ = ()


def _flatten(prefix: str, table: dict[str, Any], into: dict[str, str]) -> None:
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(full, value, into)
        else:
            into[full] = str(value)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All keys of one language, as `file.key` (nested tables joined with dots)."""
    entries: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.toml")):
        with path.open("rb") as handle:
            _flatten(path.stem, tomllib.load(handle), entries)
    return entries


def language_of(code: str | None) -> str:
    """Pick a catalogue language for a Telegram `language_code` or a stored preference."""
    if code and code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def escape(value: object) -> str:
    if isinstance(value, Html):
        return value
    return html.escape(str(value), quote=False)


def text(lang: str, key: str, /, **values: object) -> str:
    """Format the message `key` in `lang`, falling back to Indonesian."""
    template = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE)[key]
    if not values:
        return template
    return template.format(**{k: escape(v) for k, v in values.items()})


def both(key: str, /, **values: object) -> str:
    """Indonesian first, English second: for people whose language we do not know yet."""
    return f"{text('id', key, **values)}\n\n<i>{text('en', key, **values)}</i>"


def role_name(lang: str, role: Role) -> str:
    """A role as people call it: "Petugas TPS", "Camat", ..."""
    return text(lang, f"common.role.{role.value}")
