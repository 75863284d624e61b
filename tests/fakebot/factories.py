"""Test-side actors: fake users and groups that produce Telegram updates."""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

from .html_check import utf16_len
from .state import FakeState, JSONDict

COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"
FAKE_OGG = b"OggS\x00\x02" + b"\x00" * 40
ADMIN_RIGHTS: JSONDict = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}


def command_entities(text: str) -> list[JSONDict]:
    """A ``bot_command`` entity for a leading ``/cmd`` or ``/cmd@botname``."""
    match = COMMAND_RE.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def chat_member(user: JSONDict, status: str) -> JSONDict:
    member: JSONDict = {"status": status, "user": dict(user)}
    if status == "administrator":
        member.update(ADMIN_RIGHTS)
    elif status == "kicked":
        member["until_date"] = 0
    elif status not in ("member", "left", "creator"):
        raise ValueError(f"unsupported chat member status {status!r}")
    if status == "creator":
        member["is_anonymous"] = False
    return member


def _date(date: float | None) -> int:
    return int(time.time() if date is None else date)


def deliver_message(
    state: FakeState,
    chat: JSONDict,
    sender: JSONDict,
    fields: JSONDict,
    *,
    date: float | None = None,
    reply_to: JSONDict | int | None = None,
) -> JSONDict:
    """Build an incoming message, remember it and queue the ``message`` update."""
    chat_id = int(chat["id"])
    state.register_chat(chat)
    message: JSONDict = {
        "message_id": state.new_message_id(chat_id),
        "from": dict(sender),
        "chat": dict(chat),
        "date": _date(date),
        **fields,
    }
    if reply_to is not None:
        rid = reply_to if isinstance(reply_to, int) else reply_to["message_id"]
        stored = state.find_message(chat_id, rid)
        if stored is not None:
            message["reply_to_message"] = dict(stored.message)
    state.store_message(message, outgoing=False)
    return state.queue.push({"message": message})


class FakeUser:
    """A Telegram user talking to the bot in a private chat."""

    def __init__(
        self,
        state: FakeState,
        user_id: int,
        first_name: str = "Siti",
        language_code: str | None = "id",
        username: str | None = None,
        last_name: str | None = None,
    ) -> None:
        self._state = state
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.username = username
        self.last_name = last_name

    @property
    def user_dict(self) -> JSONDict:
        user: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                user[key] = getattr(self, key)
        return user

    @property
    def chat_dict(self) -> JSONDict:
        chat: JSONDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            if getattr(self, key) is not None:
                chat[key] = getattr(self, key)
        return chat

    def _send(self, fields: JSONDict, date: float | None, reply_to: Any = None) -> JSONDict:
        return deliver_message(
            self._state, self.chat_dict, self.user_dict, fields, date=date, reply_to=reply_to
        )

    def send_text(
        self, text: str, *, date: float | None = None, reply_to: JSONDict | int | None = None
    ) -> JSONDict:
        fields: JSONDict = {"text": text}
        entities = command_entities(text)
        if entities:
            fields["entities"] = entities
        return self._send(fields, date, reply_to)

    def send_photo(
        self, *, caption: str | None = None, data: bytes = FAKE_JPEG, date: float | None = None
    ) -> JSONDict:
        stored = self._state.register_file(kind="photo", data=data, filename="photo.jpg")
        small = self._state.register_file(kind="photo", data=data, filename="photo_s.jpg")
        fields: JSONDict = {
            "photo": [
                photo_size(small.file_id, small.file_unique_id, 90, len(data)),
                photo_size(stored.file_id, stored.file_unique_id, 800, len(data)),
            ]
        }
        if caption is not None:
            fields["caption"] = caption
        return self._send(fields, date)

    def send_location(
        self, latitude: float, longitude: float, *, date: float | None = None
    ) -> JSONDict:
        return self._send({"location": {"latitude": latitude, "longitude": longitude}}, date)

    def send_sticker(self, emoji: str = "👍", *, date: float | None = None) -> JSONDict:
        stored = self._state.register_file(kind="sticker", data=b"RIFF\x00WEBP", filename="s.webp")
        sticker: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "emoji": emoji,
            "file_size": stored.size,
        }
        return self._send({"sticker": sticker}, date)

    def send_voice(
        self, duration: int = 2, *, data: bytes = FAKE_OGG, date: float | None = None
    ) -> JSONDict:
        stored = self._state.register_file(kind="voice", data=data, filename="voice.oga")
        voice: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": stored.size,
        }
        return self._send({"voice": voice}, date)

    def send_document(
        self,
        filename: str = "dokumen.pdf",
        data: bytes = b"%PDF-1.4\n%%EOF\n",
        *,
        mime_type: str = "application/pdf",
        caption: str | None = None,
        date: float | None = None,
    ) -> JSONDict:
        stored = self._state.register_file(
            kind="document", data=data, filename=filename, mime_type=mime_type
        )
        fields: JSONDict = {
            "document": document_dict(
                stored.file_id, stored.file_unique_id, filename, mime_type, len(data)
            )
        }
        if caption is not None:
            fields["caption"] = caption
        return self._send(fields, date)

    def send_contact(self, phone_number: str, *, date: float | None = None) -> JSONDict:
        contact = {"phone_number": phone_number, "first_name": self.first_name, "user_id": self.id}
        return self._send({"contact": contact}, date)

    def press(self, message: JSONDict | int, data: str) -> JSONDict:
        """Press an inline button: queue a ``callback_query`` update.

        ``message`` is a message dict the bot sent (its current state is looked up
        again so edits are reflected) or a message id in this user's private chat.
        """
        if isinstance(message, int):
            chat_id, message_id = self.id, message
        else:
            chat_id, message_id = int(message["chat"]["id"]), int(message["message_id"])
        stored = self._state.find_message(chat_id, message_id)
        if stored is not None:
            current = dict(stored.message)
        elif isinstance(message, dict):
            current = dict(message)
        else:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        query_id = str(self._state.next_id() * 1_000_003 + self.id)
        instance = hashlib.sha1(f"{chat_id}".encode()).hexdigest()[:16]
        query: JSONDict = {
            "id": query_id,
            "from": self.user_dict,
            "chat_instance": str(int(instance, 16)),
            "message": current,
            "data": data,
        }
        self._state.callback_queries[query_id] = query
        return self._state.queue.push({"callback_query": query})

    def block(self) -> None:
        self._state.blocked.add(self.id)

    def unblock(self) -> None:
        self._state.blocked.discard(self.id)


class FakeGroup:
    """A group or supergroup with the bot as member."""

    def __init__(
        self, state: FakeState, chat_id: int, title: str, chat_type: str = "supergroup"
    ) -> None:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        self._state = state
        self.id = chat_id
        self.title = title
        self.type = chat_type

    @property
    def chat_dict(self) -> JSONDict:
        return {"id": self.id, "type": self.type, "title": self.title}

    def send_text(
        self,
        user: FakeUser,
        text: str,
        *,
        date: float | None = None,
        reply_to: JSONDict | int | None = None,
    ) -> JSONDict:
        fields: JSONDict = {"text": text}
        entities = command_entities(text)
        if entities:
            fields["entities"] = entities
        return deliver_message(
            self._state, self.chat_dict, user.user_dict, fields, date=date, reply_to=reply_to
        )


def photo_size(file_id: str, unique_id: str, side: int, size: int) -> JSONDict:
    return {
        "file_id": file_id,
        "file_unique_id": unique_id,
        "width": side,
        "height": side * 3 // 4,
        "file_size": size,
    }


def document_dict(
    file_id: str, unique_id: str, filename: str | None, mime_type: str | None, size: int
) -> JSONDict:
    doc: JSONDict = {"file_id": file_id, "file_unique_id": unique_id, "file_size": size}
    if filename:
        doc["file_name"] = filename
    if mime_type:
        doc["mime_type"] = mime_type
    return doc
