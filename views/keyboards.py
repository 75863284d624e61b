"""Inline keyboards. Callback data is short, `prefix:action:args`, and never trusted."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain.regions import RegionRef
from views.texts import LANGUAGES, text

PAGE_SIZE = 12


def paged_choices(
    lang: str,
    items: Sequence[RegionRef],
    *,
    page: int,
    pick: Callable[[str], str],
    browse: Callable[[int], str],
    columns: int = 2,
    back: str | None = None,
) -> InlineKeyboardMarkup:
    """Buttons for one page of regions: a button's data is `pick(code)`, paging's `browse(n)`."""
    pages = max(1, (len(items) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    chunk = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows: list[list[InlineKeyboardButton]] = []
    for start in range(0, len(chunk), columns):
        rows.append(
            [
                InlineKeyboardButton(r.name[:40], callback_data=pick(r.code))
                for r in chunk[start : start + columns]
            ]
        )
    nav: list[InlineKeyboardButton] = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(text(lang, "common.page_prev"), callback_data=browse(page - 1))
        )
    if page < pages - 1:
        nav.append(
            InlineKeyboardButton(text(lang, "common.page_next"), callback_data=browse(page + 1))
        )
    if nav:
        rows.append(nav)
    if back is not None:
        rows.append([InlineKeyboardButton(text(lang, "common.back"), callback_data=back)])
    return InlineKeyboardMarkup(rows)


def yes_no(yes_label: str, yes_data: str, no_label: str, no_data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(yes_label, callback_data=yes_data),
                InlineKeyboardButton(no_label, callback_data=no_data),
            ]
        ]
    )


def languages() -> InlineKeyboardMarkup:
    """One button per language, each named in its own language."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    text(lang, "help.language_button"), callback_data=f"lang:{lang}"
                )
                for lang in LANGUAGES
            ]
        ]
    )
