"""Telegram Business: a business account connects the bot, which then receives the
messages its customers write to the account (``business_message`` updates with a
``business_connection_id``) and answers them through the connection.

As at Telegram (https://core.telegram.org/bots/api#business-connection), the chat of
a business message is the customer's private chat with the *account*, not with the
bot: a send to that chat id without ``business_connection_id`` fails with 400 "chat
not found" unless the customer also talks to the bot directly. A send with the id
answers as the account (``from`` is its owner, ``sender_business_bot`` the bot).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .content import text_fields
from .factories import FakeUser
from .state import Call, FakeState, JSONDict, bad_request, normalize_chat_id

RIGHTS: JSONDict = {"can_reply": True, "can_read_messages": True}


@dataclass
class BusinessLink:
    """One business connection as the fake server keeps it."""

    id: str
    owner: JSONDict
    date: int
    enabled: bool = True
    chats: dict[int, JSONDict] = field(default_factory=dict)  # customer chats
    messages: list[JSONDict] = field(default_factory=list)  # both directions
    next_message_id: int = 1

    def as_dict(self) -> JSONDict:
        return {
            "id": self.id,
            "user": dict(self.owner),
            "user_chat_id": self.owner["id"],
            "date": self.date,
            "is_enabled": self.enabled,
            "rights": dict(RIGHTS),
            "can_reply": True,
        }

    def new_message(self, chat: JSONDict, sender: JSONDict, fields: JSONDict) -> JSONDict:
        message: JSONDict = {
            "message_id": self.next_message_id,
            "business_connection_id": self.id,
            "from": dict(sender),
            "chat": dict(chat),
            "date": int(time.time()),
            **fields,
        }
        self.next_message_id += 1
        self.messages.append(message)
        return message


def business_target(state: FakeState, params: JSONDict) -> tuple[JSONDict, BusinessLink] | None:
    """The customer chat and connection a send names (None: no business_connection_id)."""
    connection = params.get("business_connection_id")
    if connection in (None, ""):
        return None
    link = state.business.get(str(connection))
    if link is None or not link.enabled:
        raise bad_request("BUSINESS_CONNECTION_INVALID")
    chat = link.chats.get(normalize_chat_id(params.get("chat_id")))  # type: ignore[arg-type]
    if chat is None:
        raise bad_request("chat not found")
    return chat, link


def business_send(state: FakeState, link: BusinessLink, chat: JSONDict, fields: JSONDict) -> Any:
    """The bot answers as the business account."""
    return link.new_message(chat, link.owner, {**fields, "sender_business_bot": state.bot_user})


async def get_business_connection(state: FakeState, call: Call) -> Any:
    link = state.business.get(str(call.params.get("business_connection_id") or ""))
    if link is None:
        raise bad_request("BUSINESS_CONNECTION_INVALID")
    return link.as_dict()


BUSINESS_METHODS = {"getbusinessconnection": get_business_connection}


class FakeBusinessConnection:
    """Test side of a business connection: customers writing to the account."""

    def __init__(self, state: FakeState, link: BusinessLink) -> None:
        self._state = state
        self.link = link

    @property
    def id(self) -> str:
        return self.link.id

    def send_text(self, customer: FakeUser, text: str) -> JSONDict:
        """A customer writes to the business account: queue a ``business_message``."""
        chat = customer.chat_dict
        self.link.chats[customer.id] = chat
        message = self.link.new_message(chat, customer.user_dict, text_fields(text))
        return self._state.queue.push({"business_message": message})

    def disconnect(self) -> JSONDict:
        """The account disconnects the bot: queue ``business_connection`` (disabled)."""
        self.link.enabled = False
        return self._state.queue.push({"business_connection": self.link.as_dict()})

    @property
    def messages(self) -> list[JSONDict]:
        """Every message of the connection, the customers' and the bot's answers."""
        return list(self.link.messages)


def connect_business(
    state: FakeState, owner: FakeUser, connection_id: str | None = None
) -> FakeBusinessConnection:
    """The account of ``owner`` connects the bot: queue ``business_connection``."""
    link_id = connection_id or f"BC{state.next_id():08d}"
    link = BusinessLink(link_id, owner.user_dict, int(time.time()))
    state.business[link_id] = link
    state.queue.push({"business_connection": link.as_dict()})
    return FakeBusinessConnection(state, link)
