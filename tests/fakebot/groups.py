"""Test-side groups: members, anonymous admins and channels posting, forum topics,
and the upgrade of a basic group to a supergroup, shaped as Telegram sends them.

Who can post in a group (``Sender``):

* a ``FakeUser``: ``from`` is the user;
* ``group.anonymous`` (an anonymous administrator): ``from`` is @GroupAnonymousBot
  (id 1087968824) and ``sender_chat`` the group itself;
* a ``FakeChannel`` (a member posting as the channel): ``from`` is @Channel_Bot
  (id 136817688) and ``sender_chat`` the channel; an automatic forward from the
  linked channel comes ``from`` Telegram (777000) with ``is_automatic_forward``.

See https://core.telegram.org/bots/api#message (``from``, ``sender_chat``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .content import (
    album_fields,
    photo_fields,
    poll_fields,
    sticker_fields,
    text_fields,
    voice_fields,
)
from .factories import FakeUser, deliver_message
from .state import FakeState, JSONDict
from .topics import delete_topic_messages, open_topic, topic_of

GROUP_ANONYMOUS_BOT: JSONDict = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
CHANNEL_BOT: JSONDict = {
    "id": 136817688,
    "is_bot": True,
    "first_name": "Channel",
    "username": "Channel_Bot",
}
TELEGRAM_SERVICE: JSONDict = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
UPGRADER: JSONDict = {"id": 4200001, "is_bot": False, "first_name": "Admin"}


@dataclass
class AnonymousAdmin:
    """An administrator of ``group`` posting anonymously, as the group."""

    group: FakeGroup
    signature: str | None = None


class FakeChannel:
    """A channel: posts as ``channel_post`` updates, or inside groups as the channel."""

    def __init__(self, state: FakeState, chat_id: int, title: str) -> None:
        if chat_id >= 0:
            raise ValueError("channel ids are negative")
        self._state = state
        self.id = chat_id
        self.title = title

    @property
    def chat_dict(self) -> JSONDict:
        return {"id": self.id, "type": "channel", "title": self.title}

    def post(self, text: str) -> JSONDict:
        """A post in the channel (the bot is one of its admins): ``channel_post``."""
        message: JSONDict = {
            "message_id": self._state.new_message_id(self.id),
            "sender_chat": self.chat_dict,
            "chat": self.chat_dict,
            "date": int(time.time()),
            "text": text,
        }
        self._state.store_message(message, outgoing=False)
        return self._state.queue.push({"channel_post": message})


Sender = FakeUser | AnonymousAdmin | FakeChannel


class FakeGroup:
    """A group or supergroup (a forum with ``is_forum``) with the bot as member."""

    def __init__(
        self,
        state: FakeState,
        chat_id: int,
        title: str,
        chat_type: str = "supergroup",
        *,
        is_forum: bool = False,
    ) -> None:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if is_forum and chat_type != "supergroup":
            raise ValueError("only supergroups can be forums")
        self._state = state
        self.id = chat_id
        self.title = title
        self.type = chat_type
        self.is_forum = is_forum

    @property
    def chat_dict(self) -> JSONDict:
        chat: JSONDict = {"id": self.id, "type": self.type, "title": self.title}
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    @property
    def anonymous(self) -> AnonymousAdmin:
        """An anonymous administrator of this group, to pass as ``by``."""
        return AnonymousAdmin(self)

    # -- messages --------------------------------------------------------------------
    def post(
        self,
        by: Sender,
        fields: JSONDict,
        *,
        thread_id: int | None = None,
        date: float | None = None,
        reply_to: JSONDict | int | None = None,
        automatic_forward: bool = False,
    ) -> JSONDict:
        """Queue a message from ``by`` with the given content fields; with ``thread_id``
        it is in that forum topic (and, like Telegram, a reply to the topic's start)."""
        fields = dict(fields)
        sender = self._sender(by, fields, automatic_forward)
        if thread_id is not None:
            topic = topic_of(self._state, self.id, thread_id)
            if topic is None or topic.deleted:
                raise ValueError(f"no topic {thread_id} in chat {self.id}")
            fields.update(message_thread_id=thread_id, is_topic_message=True)
            reply_to = thread_id if reply_to is None else reply_to
        return deliver_message(
            self._state, self.chat_dict, sender, fields, date=date, reply_to=reply_to
        )

    def _sender(self, by: Sender, fields: JSONDict, automatic_forward: bool) -> JSONDict:
        if isinstance(by, FakeUser):
            return by.user_dict
        if isinstance(by, AnonymousAdmin):
            fields["sender_chat"] = self.chat_dict
            if by.signature:
                fields["author_signature"] = by.signature
            return dict(GROUP_ANONYMOUS_BOT)
        fields["sender_chat"] = by.chat_dict
        if not automatic_forward:
            return dict(CHANNEL_BOT)
        fields["is_automatic_forward"] = True
        fields["forward_origin"] = {
            "type": "channel",
            "chat": by.chat_dict,
            "message_id": self._state.new_message_id(by.id),
            "date": int(time.time()),
        }
        return dict(TELEGRAM_SERVICE)

    def send_text(
        self,
        by: Sender,
        text: str,
        *,
        thread_id: int | None = None,
        date: float | None = None,
        reply_to: JSONDict | int | None = None,
        automatic_forward: bool = False,
    ) -> JSONDict:
        return self.post(
            by,
            text_fields(text),
            thread_id=thread_id,
            date=date,
            reply_to=reply_to,
            automatic_forward=automatic_forward,
        )

    def send_photo(
        self, by: Sender, *, caption: str | None = None, thread_id: int | None = None
    ) -> JSONDict:
        return self.post(by, photo_fields(self._state, caption=caption), thread_id=thread_id)

    def send_album(
        self,
        by: Sender,
        count: int = 3,
        *,
        caption: str | None = None,
        caption_index: int = 0,
        thread_id: int | None = None,
    ) -> list[JSONDict]:
        """``count`` photos sharing one ``media_group_id``, one update each."""
        album = album_fields(self._state, count, caption, caption_index)
        return [self.post(by, fields, thread_id=thread_id) for fields in album]

    def send_sticker(
        self, by: Sender, emoji: str = "👍", *, thread_id: int | None = None
    ) -> JSONDict:
        return self.post(by, sticker_fields(self._state, emoji), thread_id=thread_id)

    def send_voice(
        self, by: Sender, duration: int = 2, *, thread_id: int | None = None
    ) -> JSONDict:
        return self.post(by, voice_fields(self._state, duration), thread_id=thread_id)

    def send_poll(
        self,
        by: Sender,
        question: str = "Setuju?",
        options: tuple[str, ...] = ("Ya", "Tidak"),
        *,
        thread_id: int | None = None,
    ) -> JSONDict:
        return self.post(by, poll_fields(self._state, question, options), thread_id=thread_id)

    # -- forum topics ------------------------------------------------------------------
    def create_topic(self, by: FakeUser, name: str, *, icon_color: int | None = None) -> int:
        """A member creates a topic: queue its ``forum_topic_created`` message; return
        the topic's ``message_thread_id``."""
        if not self.is_forum:
            raise ValueError("the chat is not a forum")
        self._state.register_chat(self.chat_dict)
        _, message = open_topic(
            self._state, self.chat_dict, name, icon_color=icon_color, creator=by.user_dict
        )
        self._state.queue.push({"message": message})
        return int(message["message_thread_id"])

    def close_topic(self, by: FakeUser, thread_id: int) -> JSONDict:
        return self._topic_state(by, thread_id, closed=True)

    def reopen_topic(self, by: FakeUser, thread_id: int) -> JSONDict:
        return self._topic_state(by, thread_id, closed=False)

    def _topic_state(self, by: FakeUser, thread_id: int, *, closed: bool) -> JSONDict:
        topic = topic_of(self._state, self.id, thread_id)
        if topic is None or topic.deleted:
            raise ValueError(f"no topic {thread_id} in chat {self.id}")
        topic.closed = closed
        event = "forum_topic_closed" if closed else "forum_topic_reopened"
        return self.post(by, {event: {}}, thread_id=thread_id)

    def delete_topic(self, thread_id: int) -> None:
        """An admin deletes the topic and its messages (Telegram sends no update)."""
        topic = topic_of(self._state, self.id, thread_id)
        if topic is None:
            raise ValueError(f"no topic {thread_id} in chat {self.id}")
        delete_topic_messages(self._state, self.id, topic)

    # -- upgrade -------------------------------------------------------------------------
    def upgrade(self, by: FakeUser | None = None, *, from_first: bool = False) -> FakeGroup:
        """Upgrade this basic group; return the new supergroup (see ``upgrade_group``)."""
        new_id = upgrade_group(self._state, self.id, by=by, from_first=from_first)
        return FakeGroup(self._state, new_id, self.title, "supergroup")


def supergroup_id(old_id: int) -> int:
    """The id Telegram gives the supergroup: ``-100`` followed by 10 digits."""
    return -(1_000_000_000_000 + abs(old_id) % 10_000_000_000)


def upgrade_group(
    state: FakeState,
    old_id: int,
    *,
    by: FakeUser | None = None,
    from_first: bool = False,
) -> int:
    """Make basic group ``old_id`` a supergroup, as Telegram does; return the new id.

    Queues the two service messages: ``migrate_to_chat_id`` in the old group (from the
    member who upgraded) and ``migrate_from_chat_id`` in the new supergroup (from
    @GroupAnonymousBot with ``sender_chat`` the supergroup), in that order unless
    ``from_first``. From then on every call naming the old id fails with 400 "group chat
    was upgraded to a supergroup chat" and ``parameters.migrate_to_chat_id``.
    """
    old = state.chats.get(old_id)
    if old is None or old.get("type") != "group":
        raise ValueError(f"chat {old_id} is not a known basic group")
    new_id = supergroup_id(old_id)
    new_chat: JSONDict = {"id": new_id, "type": "supergroup", "title": old.get("title", "")}
    sender = by.user_dict if by is not None else dict(UPGRADER)
    steps: list[Callable[[], JSONDict]] = [
        lambda: deliver_message(state, old, sender, {"migrate_to_chat_id": new_id}),
        lambda: deliver_message(
            state,
            new_chat,
            dict(GROUP_ANONYMOUS_BOT),
            {"sender_chat": dict(new_chat), "migrate_from_chat_id": old_id},
        ),
    ]
    for step in reversed(steps) if from_first else steps:
        step()
    state.migrated[old_id] = new_id
    return new_id
