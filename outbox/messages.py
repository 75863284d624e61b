"""Building the calls the sender makes: texts (cut to Telegram's limits), edits, files.

Every builder returns `Outgoing` calls with Bot API parameter names, HTML parse mode and link
previews off (the bot's defaults), ready for `Sender.queue` or `Sender.send`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

from domain.outbox import MAX_TEXT, Outgoing, Priority, split_caption, split_text

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None
NO_PREVIEW = {"is_disabled": True}


def _target(
    chat_id: int, thread_id: int | None, business_connection_id: str | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"chat_id": chat_id}
    if thread_id is not None:
        params["message_thread_id"] = thread_id
    if business_connection_id is not None:
        params["business_connection_id"] = business_connection_id
    return params


def _keyed(key: str | None, index: int) -> str | None:
    if key is None or index == 0:
        return key
    return f"{key}#{index}"


def text_message(
    chat_id: int,
    body: str,
    *,
    markup: Markup = None,
    priority: Priority = Priority.ANSWER,
    proactive: bool = False,
    key: str | None = None,
    thread_id: int | None = None,
    business_connection_id: str | None = None,
    useful_for: timedelta | None = None,
    slot_id: int | None = None,
) -> list[Outgoing]:
    """One text, as as many messages as Telegram's 4,096 characters need; the buttons go on
    the last one. `key` is suffixed `#1`, `#2`... for the parts after the first."""
    parts = split_text(body, MAX_TEXT)
    calls = []
    for index, part in enumerate(parts):
        params = _target(chat_id, thread_id, business_connection_id)
        params.update(text=part, parse_mode="HTML", link_preview_options=NO_PREVIEW)
        if markup is not None and index == len(parts) - 1:
            params["reply_markup"] = markup.to_dict()
        calls.append(
            Outgoing(
                "sendMessage",
                params,
                priority=priority,
                proactive=proactive,
                key=_keyed(key, index),
                useful_for=useful_for,
                slot_id=slot_id,
            )
        )
    return calls


def edit_text(
    chat_id: int,
    message_id: int,
    body: str,
    *,
    markup: InlineKeyboardMarkup | None = None,
    key: str | None = None,
    business_connection_id: str | None = None,
) -> Outgoing:
    """Edit a message the bot sent. A text over the limit is cut to the limit: an edit cannot
    become two messages (the callers keep edited texts short)."""
    params: dict[str, Any] = {"chat_id": chat_id, "message_id": message_id}
    if business_connection_id is not None:
        params["business_connection_id"] = business_connection_id
    params.update(
        text=split_text(body, MAX_TEXT)[0], parse_mode="HTML", link_preview_options=NO_PREVIEW
    )
    if markup is not None:
        params["reply_markup"] = markup.to_dict()
    return Outgoing("editMessageText", params, key=key)


def edit_markup(
    chat_id: int, message_id: int, markup: InlineKeyboardMarkup | None, *, key: str | None = None
) -> Outgoing:
    """Replace (or, with None, remove) the buttons of a message the bot sent."""
    params: dict[str, Any] = {"chat_id": chat_id, "message_id": message_id}
    params["reply_markup"] = markup.to_dict() if markup is not None else {"inline_keyboard": []}
    return Outgoing("editMessageReplyMarkup", params, key=key)


def file_message(
    chat_id: int,
    kind: str,
    *,
    data: bytes | None = None,
    filename: str = "file",
    file_id: str | None = None,
    caption: str = "",
    markup: Markup = None,
    priority: Priority = Priority.ANSWER,
    proactive: bool = False,
    key: str | None = None,
    thread_id: int | None = None,
    useful_for: timedelta | None = None,
    slot_id: int | None = None,
) -> list[Outgoing]:
    """A photo or document (`kind` "photo" | "document"), uploaded (`data`) or by `file_id`.

    A caption over Telegram's 1,024 characters goes in text messages after the file.
    """
    method = {"photo": "sendPhoto", "document": "sendDocument"}[kind]
    fits, rest = split_caption(caption)
    params = _target(chat_id, thread_id, None)
    if fits:
        params.update(caption=fits, parse_mode="HTML")
    if markup is not None and not rest:
        params["reply_markup"] = markup.to_dict()
    upload = None
    if data is not None:
        upload = (kind, filename, data)
    else:
        params[kind] = file_id
    calls = [
        Outgoing(
            method,
            params,
            priority=priority,
            proactive=proactive,
            key=key,
            file=upload,
            useful_for=useful_for,
            slot_id=slot_id,
        )
    ]
    for index, part in enumerate(rest, start=1):
        more = text_message(
            chat_id,
            part,
            markup=markup if index == len(rest) else None,
            priority=priority,
            proactive=proactive,
            key=_keyed(key, index),
            thread_id=thread_id,
            useful_for=useful_for,
            slot_id=slot_id,
        )
        calls.extend(more)
    return calls
