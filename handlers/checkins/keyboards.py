"""Buttons for check-ins. Callback data is `ci:<draft token>:<step>:<value>`, never trusted."""

from __future__ import annotations

import re
from collections.abc import Sequence

from telegram import InlineKeyboardButton, KeyboardButton, ReplyKeyboardMarkup

from domain.checkins.kinds import Kind
from domain.roles import Role
from handlers.texts import LANGUAGES, text

PREFIX = "ci"
_DATA_RE = re.compile(r"^ci:([0-9a-f]{10}):([a-z_]{1,20}):([A-Za-z0-9_.\-]{1,24})$")

OFFICER_MENU = ("logistik", "siap", "banjir", "sinyal", "kejadian", "status")
CAMAT_MENU = ("titip", "status_district")


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


def main_menu(role: Role, lang: str) -> ReplyKeyboardMarkup | None:
    """The keyboard under the chat: the five kinds and status for officers, relay for camats."""
    names: tuple[str, ...]
    if role is Role.TPS:
        names = OFFICER_MENU
    elif role is Role.CAMAT:
        names = CAMAT_MENU
    else:
        return None
    labels = [KeyboardButton(text(lang, f"checkin.menu.{n}")) for n in names]
    return ReplyKeyboardMarkup(
        [labels[i : i + 2] for i in range(0, len(labels), 2)],
        resize_keyboard=True,
        is_persistent=True,
    )


def menu_action(label: str) -> str | None:
    """Which menu entry a typed text is (either language), if any."""
    for lang in LANGUAGES:
        for name in OFFICER_MENU + CAMAT_MENU:
            if label == text(lang, f"checkin.menu.{name}"):
                return name
    return None


KIND_ICONS = {
    Kind.LOGISTIK: "📦",
    Kind.SIAP: "✅",
    Kind.BANJIR: "🌊",
    Kind.SINYAL: "📶",
    Kind.KEJADIAN: "⚠️",
}
