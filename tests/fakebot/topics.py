"""Forum topics (https://core.telegram.org/bots/api#forumtopic) of supergroups with
``is_forum``: the Bot API methods and the rule for sends that name a topic.

A topic's ``message_thread_id`` is the id of its ``forum_topic_created`` service
message. A send with the id of a closed topic fails with "TOPIC_CLOSED", with the id of
a deleted or unknown one with "message thread not found"; a send without it goes to
the General topic (no ``message_thread_id`` on the message).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .state import Call, FakeState, JSONDict, bad_request

ICON_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)


@dataclass
class ForumTopic:
    """A topic of a forum supergroup; its id is the id of its creation message."""

    message_thread_id: int
    name: str
    icon_color: int
    closed: bool = False
    deleted: bool = False

    def as_dict(self) -> JSONDict:
        return {
            "message_thread_id": self.message_thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }


def _forum(state: FakeState, raw_chat: Any) -> JSONDict:
    chat = state.resolve_chat(raw_chat)
    if not chat.get("is_forum"):
        raise bad_request("the chat is not a forum")
    return chat


def topic_of(state: FakeState, chat_id: int, raw_thread: Any) -> ForumTopic | None:
    try:
        thread_id = int(raw_thread)
    except (TypeError, ValueError):
        return None
    return state.topics.get(chat_id, {}).get(thread_id)


def open_topic(
    state: FakeState, chat: JSONDict, name: str, *, icon_color: int | None, creator: JSONDict
) -> tuple[ForumTopic, JSONDict]:
    """Create a topic; return it and its ``forum_topic_created`` service message."""
    chat_id = int(chat["id"])
    thread_id = state.new_message_id(chat_id)
    color = icon_color if icon_color in ICON_COLORS else ICON_COLORS[0]
    topic = ForumTopic(thread_id, name, int(color))
    state.topics.setdefault(chat_id, {})[thread_id] = topic
    message: JSONDict = {
        "message_id": thread_id,
        "from": dict(creator),
        "chat": dict(chat),
        "date": int(time.time()),
        "message_thread_id": thread_id,
        "is_topic_message": True,
        "forum_topic_created": {"name": name, "icon_color": topic.icon_color},
    }
    state.store_message(message, outgoing=creator.get("id") == state.bot_user["id"])
    return topic, message


def delete_topic_messages(state: FakeState, chat_id: int, topic: ForumTopic) -> None:
    """Telegram deletes a topic together with every message in it."""
    topic.deleted = True
    for stored in state.messages.get(chat_id, {}).values():
        if stored.message.get("message_thread_id") == topic.message_thread_id:
            stored.deleted = True


def thread_fields(state: FakeState, chat: JSONDict, params: JSONDict) -> JSONDict:
    """The topic fields of a message the bot sends, or Telegram's refusal."""
    raw = params.get("message_thread_id")
    if raw in (None, "", 0) or chat.get("type") == "private":
        return {}
    topic = topic_of(state, int(chat["id"]), raw)
    if topic is None or topic.deleted:
        raise bad_request("message thread not found")
    if topic.closed:
        raise bad_request("TOPIC_CLOSED")
    return {"message_thread_id": topic.message_thread_id, "is_topic_message": True}


def _existing(state: FakeState, call: Call) -> tuple[int, ForumTopic]:
    chat_id = int(_forum(state, call.params.get("chat_id"))["id"])
    topic = topic_of(state, chat_id, call.params.get("message_thread_id"))
    if topic is None or topic.deleted:
        raise bad_request("TOPIC_ID_INVALID")
    return chat_id, topic


async def create_forum_topic(state: FakeState, call: Call) -> Any:
    chat = _forum(state, call.params.get("chat_id"))
    name = str(call.params.get("name") or "").strip()
    if not 1 <= len(name) <= 128:
        raise bad_request("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_INVALID")
    color = call.params.get("icon_color")
    if color is not None and str(color) not in {str(c) for c in ICON_COLORS}:
        raise bad_request("TOPIC_ICON_COLOR_INVALID")
    icon = None if color is None else int(color)
    topic, _ = open_topic(state, chat, name, icon_color=icon, creator=state.bot_user)
    return topic.as_dict()


async def edit_forum_topic(state: FakeState, call: Call) -> Any:
    _, topic = _existing(state, call)
    name = call.params.get("name")
    if name is not None:
        if str(name) == topic.name:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.name = str(name)
    return True


def _set_closed(state: FakeState, call: Call, closed: bool) -> bool:
    _, topic = _existing(state, call)
    if topic.closed == closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closed
    return True


async def close_forum_topic(state: FakeState, call: Call) -> Any:
    return _set_closed(state, call, True)


async def reopen_forum_topic(state: FakeState, call: Call) -> Any:
    return _set_closed(state, call, False)


async def delete_forum_topic(state: FakeState, call: Call) -> Any:
    chat_id, topic = _existing(state, call)
    delete_topic_messages(state, chat_id, topic)
    return True


TOPIC_METHODS = {
    "createforumtopic": create_forum_topic,
    "editforumtopic": edit_forum_topic,
    "closeforumtopic": close_forum_topic,
    "reopenforumtopic": reopen_forum_topic,
    "deleteforumtopic": delete_forum_topic,
}
