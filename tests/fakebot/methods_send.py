"""Bot API methods that send, edit and delete messages."""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .business import business_send, business_target
from .content import document_dict, photo_size
from .html_check import parse_text
from .ratelimit import Refusal
from .state import (
    ApiError,
    Call,
    FakeState,
    JSONDict,
    SentFile,
    StoredFile,
    StoredMessage,
    bad_request,
)
from .topics import thread_fields

Handler = Callable[[FakeState, Call], Awaitable[Any]]
INLINE_BUTTON_KINDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


def check_markup(raw: Any) -> JSONDict | None:
    """Validate reply_markup; return it (decoded) or None."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in raw:
        return raw  # reply keyboards, remove_keyboard, force_reply: accepted as is
    rows = raw["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            if not any(kind in button for kind in INLINE_BUTTON_KINDS):
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
                raise bad_request("BUTTON_URL_INVALID")
    return raw


def inline_only(markup: JSONDict | None) -> JSONDict | None:
    """Telegram echoes (and keeps) only inline keyboards in Message.reply_markup."""
    if markup and "inline_keyboard" in markup:
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def flood_check(
    state: FakeState, call: Call, chat_id: int, *, is_edit: bool, paid: bool = False
) -> None:
    """Count the send/edit (noted on ``call``) or raise Telegram's 429."""
    judged = state.flood.acquire(chat_id, is_edit=is_edit, paid=paid)
    if isinstance(judged, Refusal):
        state.rate_limited_count += 1
        retry = judged.retry_after
        raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
    call.flood = judged


def reply_target(state: FakeState, chat_id: int, params: JSONDict) -> JSONDict | None:
    reply = params.get("reply_parameters")
    allow = bool(params.get("allow_sending_without_reply"))
    message_id = params.get("reply_to_message_id")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow = bool(reply.get("allow_sending_without_reply", allow))
    if message_id is None:
        return None
    stored = state.find_message(chat_id, message_id)
    if stored is None:
        if allow:
            return None
        raise bad_request("message to be replied not found")
    target = dict(stored.message)
    target.pop("reply_to_message", None)
    return target


def _caption_fields(params: JSONDict) -> JSONDict:
    parsed = parse_text(
        params.get("caption"),
        params.get("parse_mode"),
        params.get("caption_entities"),
        caption=True,
    )
    return {"caption": parsed.text or None, "caption_entities": parsed.entities or None}


def send_chat(state: FakeState, params: JSONDict) -> JSONDict:
    """The chat a send goes to: a business customer's with ``business_connection_id``."""
    business = business_target(state, params)
    return business[0] if business is not None else state.resolve_chat(params.get("chat_id"))


def _finish_send(state: FakeState, call: Call, chat: JSONDict, fields: JSONDict) -> JSONDict:
    params = call.params
    chat_id = int(chat["id"])
    markup = inline_only(check_markup(params.get("reply_markup")))
    business = business_target(state, params)
    if business is not None:
        flood_check(state, call, chat_id, is_edit=False)
        answer = {**fields, "reply_markup": markup} if markup else fields
        return business_send(state, business[1], chat, answer)  # type: ignore[no-any-return]
    reply = reply_target(state, chat_id, params)
    thread = thread_fields(state, chat, params)
    paid = bool(params.get("allow_paid_broadcast"))
    if paid:
        state.check_stars()
    flood_check(state, call, chat_id, is_edit=False, paid=paid)
    if paid:
        state.charge_paid_message()
    message = state.bot_message(
        chat, **fields, **thread, reply_to_message=reply, reply_markup=markup
    )
    state.store_message(message, outgoing=True)
    return message


async def send_message(state: FakeState, call: Call) -> Any:
    p = call.params
    chat = send_chat(state, p)
    parsed = parse_text(p.get("text"), p.get("parse_mode"), p.get("entities"))
    fields = {"text": parsed.text, "entities": parsed.entities or None}
    return _finish_send(state, call, chat, fields)


def _input_file(
    state: FakeState, call: Call, name: str, kind: str
) -> tuple[StoredFile, str | None]:
    value = call.params.get(name)
    upload = call.files.get(name)
    if upload is None and isinstance(value, str) and value.startswith("attach://"):
        upload = call.files.get(value[len("attach://") :])
    if upload is not None:
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        stored = state.register_file(
            kind=kind, data=upload.data, filename=upload.filename, mime_type=mime
        )
        return stored, None
    if not value or not isinstance(value, str):
        raise bad_request(f"there is no {name} in the request")
    if value in state.files:
        return state.files[value], value
    if value.startswith(("http://", "https://")):
        filename = value.rsplit("/", 1)[-1] or None
        return state.register_file(kind=kind, data=None, filename=filename, source=value), value
    raise bad_request("wrong file identifier/HTTP URL specified")


async def _send_media(state: FakeState, call: Call, name: str) -> Any:
    p = call.params
    chat = send_chat(state, p)
    stored, given = _input_file(state, call, name, name)
    fields = _caption_fields(p)
    if name == "photo":
        sizes = [photo_size(stored.file_id, stored.file_unique_id, 1280, stored.size)]
        if given is None:
            thumb = state.register_file(kind="photo", data=stored.data, filename="thumb.jpg")
            sizes.insert(0, photo_size(thumb.file_id, thumb.file_unique_id, 90, thumb.size))
        fields["photo"] = sizes
    else:
        fields["document"] = document_dict(
            stored.file_id, stored.file_unique_id, stored.filename, stored.mime_type, stored.size
        )
    message = _finish_send(state, call, chat, fields)
    state.sent_files.append(
        SentFile(int(chat["id"]), call.method, name, stored, given, message["message_id"])
    )
    return message


async def send_photo(state: FakeState, call: Call) -> Any:
    return await _send_media(state, call, "photo")


async def send_document(state: FakeState, call: Call) -> Any:
    return await _send_media(state, call, "document")


async def send_location(state: FakeState, call: Call) -> Any:
    p = call.params
    chat = send_chat(state, p)
    try:
        latitude, longitude = float(p["latitude"]), float(p["longitude"])
    except (KeyError, TypeError, ValueError):
        raise bad_request("wrong latitude or longitude specified") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise bad_request("wrong latitude or longitude specified")
    location: JSONDict = {"latitude": latitude, "longitude": longitude}
    return _finish_send(state, call, chat, {"location": location})


def _edit_target(state: FakeState, call: Call) -> StoredMessage:
    p = call.params
    if p.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not simulated
    chat = send_chat(state, p)
    stored = state.find_message(int(chat["id"]), p.get("message_id"))
    if stored is None:
        raise bad_request("message to edit not found")
    if not stored.outgoing:
        raise bad_request("message can't be edited")
    return stored


def _apply_edit(state: FakeState, call: Call, stored: StoredMessage, changes: JSONDict) -> Any:
    message = stored.message
    if all(message.get(key) == value for key, value in changes.items()):
        raise bad_request(NOT_MODIFIED)
    flood_check(state, call, int(message["chat"]["id"]), is_edit=True)
    for key, value in changes.items():
        if value is None:
            message.pop(key, None)
        else:
            message[key] = value
    message["edit_date"] = int(time.time())
    return dict(message)


async def edit_message_text(state: FakeState, call: Call) -> Any:
    stored = _edit_target(state, call)
    p = call.params
    parsed = parse_text(p.get("text"), p.get("parse_mode"), p.get("entities"))
    if "text" not in stored.message:
        raise bad_request("there is no text in the message to edit")
    markup = inline_only(check_markup(p.get("reply_markup")))
    changes = {"text": parsed.text, "entities": parsed.entities or None, "reply_markup": markup}
    return _apply_edit(state, call, stored, changes)


async def edit_message_caption(state: FakeState, call: Call) -> Any:
    stored = _edit_target(state, call)
    if not any(k in stored.message for k in ("photo", "document", "video", "audio", "animation")):
        raise bad_request("there is no caption in the message to edit")
    changes = _caption_fields(call.params)
    changes["reply_markup"] = inline_only(check_markup(call.params.get("reply_markup")))
    return _apply_edit(state, call, stored, changes)


async def edit_message_reply_markup(state: FakeState, call: Call) -> Any:
    stored = _edit_target(state, call)
    markup = inline_only(check_markup(call.params.get("reply_markup")))
    return _apply_edit(state, call, stored, {"reply_markup": markup})


async def delete_message(state: FakeState, call: Call) -> Any:
    chat = state.resolve_chat(call.params.get("chat_id"), for_sending=False)
    stored = state.find_message(int(chat["id"]), call.params.get("message_id"))
    if stored is None:
        raise bad_request("message to delete not found")
    stored.deleted = True
    return True


SEND_METHODS: dict[str, Handler] = {
    "sendmessage": send_message,
    "sendphoto": send_photo,
    "senddocument": send_document,
    "sendlocation": send_location,
    "editmessagetext": edit_message_text,
    "editmessagecaption": edit_message_caption,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
}
