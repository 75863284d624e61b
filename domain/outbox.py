"""What the bot owes people, as data: priorities, lifetimes, outcomes, and texts cut to size.

Pure (no telegram, no sqlalchemy). The sender (`outbox.sender`) delivers; `storage.outbox` keeps
the rows; this module says what a message is and what becomes of it.

Limits from Telegram's Bot API documentation (https://core.telegram.org/bots/api#sendmessage,
https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
4096 characters of text per message, 1024 per caption, about 30 messages a second per bot,
about 1 a second per private chat, 20 a minute per group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum, StrEnum
from typing import Any

MAX_TEXT = 4096
MAX_CAPTION = 1024


class Priority(IntEnum):
    """Who goes first when anything must wait (lower first). Values are stored: never renumber."""

    ANSWER = 0  # replies and receipts: someone is looking at the screen
    ALERT = 10  # critical incidents, severe floods
    REMINDER = 20  # reminders and escalations
    DIGEST = 30
    BROADCAST = 40


class OutStatus(StrEnum):
    """Where an outbox row stands. Values are stored."""

    PENDING = "pending"  # waiting (maybe until `not_before`)
    SENDING = "sending"  # claimed: the request may be under way
    SENT = "sent"
    FAILED = "failed"  # Telegram refused it for good
    UNREACHABLE = "unreachable"  # blocked, left, or never opened the bot
    EXPIRED = "expired"  # no longer useful before it could be sent
    SUPERSEDED = "superseded"  # an edit replaced by a newer edit of the same message
    # Claimed before a crash, or the connection dropped after the request left: it may have
    # arrived, so it is never sent again (nobody gets a message twice).
    UNCERTAIN = "uncertain"


FINAL = frozenset(OutStatus) - {OutStatus.PENDING, OutStatus.SENDING}

# How long each priority stays worth sending when nobody says otherwise.
USEFUL_FOR: dict[Priority, timedelta] = {
    Priority.ANSWER: timedelta(hours=12),
    Priority.ALERT: timedelta(hours=6),
    Priority.REMINDER: timedelta(hours=2),
    Priority.DIGEST: timedelta(hours=6),
    Priority.BROADCAST: timedelta(hours=24),
}


@dataclass(slots=True)
class Outgoing:
    """One Bot API call the bot owes: `method` with JSON-able `params` (Bot API names).

    `file` is (field, filename, bytes) for an upload (a digest's chart or spreadsheet).
    `key` makes the call happen at most once however often it is queued (a receipt's check-in,
    a slot's part for a chat, the n-th answer to an update). `proactive` is False only for an
    answer to what the chat just sent: those go out at once, the rest under the bulk cap.
    """

    method: str
    params: dict[str, Any]
    priority: Priority = Priority.ANSWER
    proactive: bool = False
    key: str | None = None
    file: tuple[str, str, bytes] | None = None
    useful_for: timedelta | None = None
    slot_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The desk's bot the call leaves through (`outbox.post` sets it: an answer's through the
    # bot that heard the update, anything else through its recipient's); None: the first bot.
    bot_id: int | None = None

    @property
    def chat_id(self) -> int:
        return int(self.params["chat_id"])

    @property
    def is_edit(self) -> bool:
        return self.method.startswith("edit")


# Cutting long texts -----------------------------------------------------------------------------

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>")


def _open_tags(fragment: str, stack: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The tags still open after `fragment`, given those open before it: (name, full tag)."""
    stack = list(stack)
    for match in _TAG.finditer(fragment):
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            for index in range(len(stack) - 1, -1, -1):
                if stack[index][0] == name:
                    del stack[index:]
                    break
        else:
            stack.append((name, match.group(0)))
    return stack


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji beyond the BMP is two)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _chars_within(body: str, units: int) -> int:
    """How many leading characters of `body` fit in `units` UTF-16 code units."""
    total = 0
    for index, ch in enumerate(body):
        total += 2 if ord(ch) > 0xFFFF else 1
        if total > units:
            return index
    return len(body)


def _cut_point(body: str, limit: int) -> int:
    """Where to cut `body` so the head is at most `limit` characters: a paragraph, a line,
    a space, else anywhere outside a tag or an entity."""
    window = body[:limit]
    for separator in ("\n\n", "\n", " "):
        at = window.rfind(separator)
        if at > limit // 3:
            return at + len(separator)
    at = limit
    last_lt, last_gt = window.rfind("<"), window.rfind(">")
    if last_lt > last_gt:
        at = last_lt
    last_amp, last_semi = window.rfind("&"), window.rfind(";")
    if last_amp > last_semi and last_amp > limit - 10:
        at = min(at, last_amp)
    return max(1, at)


def split_text(body: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut Telegram HTML into messages of at most `limit` characters, each valid on its own.

    Cuts at paragraph, then line, then word boundaries; a tag open at a cut is closed at the
    end of one part and opened again at the start of the next. Telegram counts UTF-16 code units
    after entity parsing (an emoji such as 🌊 is two), so counting them, markup included, keeps
    every part safely under the limit.
    """
    if telegram_length(body) <= limit:
        return [body]
    parts: list[str] = []
    stack: list[tuple[str, str]] = []
    rest = body
    while rest:
        prefix = "".join(tag for _, tag in stack)
        closing_now = sum(len(name) + 3 for name, _ in stack)
        if telegram_length(prefix) + telegram_length(rest) + closing_now <= limit:
            parts.append(prefix + rest)
            break
        # Room for the reopened tags, their closing tags and tags the head itself opens.
        room = max(64, limit - telegram_length(prefix) - closing_now - 64)
        cut = _cut_point(rest, _chars_within(rest, room))
        head, rest = rest[:cut], rest[cut:]
        stack_after = _open_tags(head, stack)
        closing = "".join(f"</{name}>" for name, _ in reversed(stack_after))
        parts.append((prefix + head).rstrip() + closing)
        stack = stack_after
    return [part for part in parts if part.strip()]


def split_caption(caption: str) -> tuple[str, list[str]]:
    """A caption that fits (`MAX_CAPTION`) and the rest as texts to send after the picture."""
    if telegram_length(caption) <= MAX_CAPTION:
        return caption, []
    return "", split_text(caption)
