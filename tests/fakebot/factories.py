"""Test-side actors: fake users talking to the bot (groups: ``groups``, shapes: ``content``)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from .content import (
    FAKE_JPEG,
    FAKE_OGG,
    album_fields,
    document_dict,
    photo_fields,
    poll_fields,
    sticker_fields,
    text_fields,
    voice_fields,
)
from .state import FakeState, JSONDict

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
        return self._send(text_fields(text), date, reply_to)

    def send_photo(
        self, *, caption: str | None = None, data: bytes = FAKE_JPEG, date: float | None = None
    ) -> JSONDict:
        return self._send(photo_fields(self._state, caption=caption, data=data), date)

    def send_album(
        self,
        count: int = 3,
        *,
        caption: str | None = None,
        caption_index: int = 0,
        date: float | None = None,
    ) -> list[JSONDict]:
        """Send ``count`` photos as one album: ``count`` updates sharing a
        ``media_group_id``, the caption (if any) on photo number ``caption_index``."""
        return [
            self._send(fields, date)
            for fields in album_fields(self._state, count, caption, caption_index)
        ]

    def send_location(
        self, latitude: float, longitude: float, *, date: float | None = None
    ) -> JSONDict:
        return self._send({"location": {"latitude": latitude, "longitude": longitude}}, date)

    def send_sticker(self, emoji: str = "👍", *, date: float | None = None) -> JSONDict:
        return self._send(sticker_fields(self._state, emoji), date)

    def send_voice(
        self, duration: int = 2, *, data: bytes = FAKE_OGG, date: float | None = None
    ) -> JSONDict:
        return self._send(voice_fields(self._state, duration, data), date)

    def send_poll(
        self, question: str = "Setuju?", options: tuple[str, ...] = ("Ya", "Tidak")
    ) -> JSONDict:
        return self._send(poll_fields(self._state, question, options), None)

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
