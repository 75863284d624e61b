"""Buttons for check-ins. Callback data is `ci:<draft token>:<step>:<value>`, never trusted."""

from __future__ import annotations

import re
from collections.abc import Sequence

from telegram import InlineKeyboardButton

from domain.checkins.kinds import Kind
from views.texts import text

PREFIX = "ci"
_DATA_RE = re.compile(r"^ci:([0-9a-f]{10}):([a-z_]{1,20}):([A-Za-z0-9_.\-]{1,24})$")

OFFICER_MENU = tuple(
    f"checkin.menu.{n}" for n in ("logistik", "siap", "banjir", "sinyal", "kejadian", "status")
)
CAMAT_MENU = ("checkin.menu.titip", "checkin.menu.status_district")


def data(token: str, step: str, value: object) -> str:
    return f"{PREFIX}:{token}:{step}:{value}"


def parse(raw: str | None) -> tuple[str, str, str] | None:
    """(token, step, value) of a check-in button, or None for anything malformed."""
    match = _DATA_RE.match(raw or "")
    return (match.group(1), match.group(2), match.group(3)) if match else None


def button(label: str, token: str, step: str, value: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label[:60], callback_data=data(token, step, value))


def rows(buttons: Sequence[InlineKeyboardButton], columns: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + columns]) for i in range(0, len(buttons), columns)]


def cancel_row(lang: str, token: str, step: str) -> list[InlineKeyboardButton]:
    return [button(text(lang, "checkin.cancel"), token, step, "_cancel")]


KIND_ICONS = {
    Kind.LOGISTIK: "📦",
    Kind.SIAP: "✅",
    Kind.BANJIR: "🌊",
    Kind.SINYAL: "📶",
    Kind.KEJADIAN: "⚠️",
}
