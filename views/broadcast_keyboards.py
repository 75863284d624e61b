"""Broadcast buttons. Data is `bc:<step>:<broadcast id>:...` or `ack:<id>`; never trusted."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain.broadcast import ACK_LABEL, PaidEstimate
from domain.checkins.kinds import Kind
from domain.regions import RegionRef
from domain.roles import Role
from views.broadcast import duration, stars
from views.keyboards import paged_choices
from views.texts import role_name, text


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


def _cancel(lang: str, bid: int) -> list[InlineKeyboardButton]:
    return [_button(text(lang, "broadcast.cancel_button"), f"bc:x:{bid}")]


def audience_kinds(lang: str, bid: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(text(lang, "broadcast.aud_all_button"), f"bc:a:{bid}:all")],
            [_button(text(lang, "broadcast.aud_role_button"), f"bc:a:{bid}:role")],
            [_button(text(lang, "broadcast.aud_region_button"), f"bc:a:{bid}:region")],
            [_button(text(lang, "broadcast.aud_not_filed_button"), f"bc:a:{bid}:nf")],
            _cancel(lang, bid),
        ]
    )


def roles(lang: str, bid: int) -> InlineKeyboardMarkup:
    rows = [[_button(role_name(lang, r), f"bc:r:{bid}:{r.value}")] for r in Role]
    rows.append([_button(text(lang, "common.back"), f"bc:ch:{bid}")])
    return InlineKeyboardMarkup(rows)


def kinds(lang: str, bid: int) -> InlineKeyboardMarkup:
    rows = [
        [_button(text(lang, f"broadcast.kind.{k.value}"), f"bc:k:{bid}:{k.value}")] for k in Kind
    ]
    rows.append([_button(text(lang, "common.back"), f"bc:ch:{bid}")])
    return InlineKeyboardMarkup(rows)


def regions(
    lang: str, bid: int, here: RegionRef, items: Sequence[RegionRef], *, page: int, top: bool
) -> InlineKeyboardMarkup:
    markup = paged_choices(
        lang,
        items,
        page=page,
        pick=lambda code: f"bc:g:{bid}:0:{code}",
        browse=lambda p: f"bc:g:{bid}:{p}:{here.code}",
        back=f"bc:ch:{bid}",
    )
    rows = [list(row) for row in markup.inline_keyboard]
    if not top:
        label = text(lang, "broadcast.pick_region_here", name=here.name[:40])
        rows.insert(0, [_button(label, f"bc:p:{bid}:{here.code}")])
    return InlineKeyboardMarkup(rows)


def confirm(
    lang: str, bid: int, count: int, paid: PaidEstimate | None = None
) -> InlineKeyboardMarkup:
    """Send, change, cancel; with `paid` (the desk allows paid broadcasts) Send is offered
    twice: normally (`bc:ok:`) and paid (`bc:pd:`), each with its time (and the cost)."""
    rows = []
    if count > 0 and paid is not None:
        free = text(
            lang, "broadcast.send_free_button", count=count, time=duration(lang, paid.free_seconds)
        )
        fast = text(
            lang,
            "broadcast.send_paid_button",
            stars=stars(lang, paid.star_tenths),
            time=duration(lang, paid.paid_seconds),
        )
        rows.append([_button(free, f"bc:ok:{bid}")])
        rows.append([_button(fast, f"bc:pd:{bid}")])
    elif count > 0:
        rows.append([_button(text(lang, "broadcast.send_button", count=count), f"bc:ok:{bid}")])
    rows.append([_button(text(lang, "broadcast.change_button"), f"bc:ch:{bid}")])
    rows.append(_cancel(lang, bid))
    return InlineKeyboardMarkup(rows)


def status(lang: str, bid: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(text(lang, "broadcast.status_button"), f"bc:st:{bid}")]])


def report(lang: str, bid: int, not_acked: int) -> InlineKeyboardMarkup | None:
    if not_acked <= 0:
        return None
    label = text(lang, "broadcast.resend_button", count=not_acked)
    return InlineKeyboardMarkup([[_button(label, f"bc:rs:{bid}")]])


def listing(entries: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(label[:60], f"bc:st:{bid}")] for bid, label in entries])


def ack(bid: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(ACK_LABEL, f"ack:{bid}")]])


def acked(lang: str, bid: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(text(lang, "broadcast.ack_done_button"), f"ack:{bid}")]])
