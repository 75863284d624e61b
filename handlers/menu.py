"""The main-menu keyboard under the chat, per role; features add their entries at registration
(kept in the application's services, `Services.menus`).

A press sends the label as a plain message; the feature that added it recognises it with
`menu.entry_for(text)` (labels are matched in every language).
"""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup

from domain.roles import Role
from services import DeskApplication, Services, services_of
from views.texts import LANGUAGES, text


def add_entries(app: DeskApplication, role: Role, *label_keys: str) -> None:
    """Add labels (text keys) to a role's menu; idempotent."""
    entries = services_of(app).menus.setdefault(role, [])
    entries.extend(k for k in label_keys if k not in entries)


def main_menu(services: Services, role: Role, lang: str) -> ReplyKeyboardMarkup | None:
    """The role's keyboard, two buttons a row; None when the role has no menu."""
    keys = services.menus.get(role, [])
    if not keys:
        return None
    labels = [KeyboardButton(text(lang, k)) for k in keys]
    return ReplyKeyboardMarkup(
        [labels[i : i + 2] for i in range(0, len(labels), 2)],
        resize_keyboard=True,
        is_persistent=True,
    )


def entry_for(services: Services, label: str) -> str | None:
    """The text key of the menu label a message is, in any language; None if it is none."""
    for keys in services.menus.values():
        for key in keys:
            if any(label == text(lang, key) for lang in LANGUAGES):
                return key
    return None
