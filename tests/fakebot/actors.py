"""Test-side API of FakeBotApi: acting as Telegram users and groups."""

from __future__ import annotations

import copy
import time

from .business import FakeBusinessConnection, connect_business
from .factories import FakeUser, chat_member
from .groups import FakeChannel, FakeGroup, upgrade_group
from .state import FakeState, JSONDict


class ActorsMixin:
    state: FakeState

    # -- acting as Telegram users ----------------------------------------------
    def user(
        self,
        user_id: int,
        first_name: str = "Siti",
        language_code: str | None = "id",
        username: str | None = None,
        last_name: str | None = None,
    ) -> FakeUser:
        return FakeUser(self.state, user_id, first_name, language_code, username, last_name)

    def group(
        self,
        chat_id: int,
        title: str = "Grup Uji",
        chat_type: str = "supergroup",
        *,
        is_forum: bool = False,
    ) -> FakeGroup:
        """A group the bot is in (``chat_type="group"``: a basic group, which
        ``upgrade_group`` turns into a supergroup; ``is_forum``: a supergroup with topics)."""
        return FakeGroup(self.state, chat_id, title, chat_type, is_forum=is_forum)

    def channel(self, chat_id: int, title: str = "Kanal Uji") -> FakeChannel:
        """A channel: its posts, or messages in groups sent as the channel."""
        return FakeChannel(self.state, chat_id, title)

    def connect_business(
        self, owner: FakeUser, *, connection_id: str | None = None
    ) -> FakeBusinessConnection:
        """``owner``'s business account connects the bot (a ``business_connection``
        update); customers then write through the returned connection."""
        return connect_business(self.state, owner, connection_id)

    def upgrade_group(
        self, old_id: int, *, by: FakeUser | None = None, from_first: bool = False
    ) -> int:
        """Upgrade a basic group to a supergroup as Telegram does; return the new id
        (see ``groups.upgrade_group``)."""
        return upgrade_group(self.state, old_id, by=by, from_first=from_first)

    def add_chat(
        self,
        chat_id: int,
        chat_type: str | None = None,
        *,
        title: str | None = None,
        first_name: str | None = None,
        username: str | None = None,
    ) -> JSONDict:
        """Make a chat known without an update (so sends to it do not fail)."""
        kind = chat_type or ("private" if chat_id > 0 else "supergroup")
        chat: JSONDict = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = first_name or f"User {chat_id}"
        else:
            chat["title"] = title or f"Chat {chat_id}"
        if username:
            chat["username"] = username
        self.state.register_chat(chat)
        return chat

    def block(self, user_id: int, *, notify: bool = False) -> JSONDict | None:
        """The user blocks the bot: sends answer 403. With notify, queue my_chat_member."""
        self.state.blocked.add(user_id)
        chat = self.state.chats.get(user_id)
        if not notify or chat is None:
            return None
        sender = {"id": user_id, "is_bot": False, "first_name": chat.get("first_name", "User")}
        return self._member_update(chat, sender, "kicked", "member", None)

    def unblock(self, user_id: int) -> None:
        self.state.blocked.discard(user_id)

    def add_member_update(
        self,
        group: FakeGroup | int,
        by: FakeUser,
        *,
        status: str = "member",
        old_status: str = "left",
        date: float | None = None,
    ) -> JSONDict:
        """Queue a ``my_chat_member`` update: the bot's status in a group changed."""
        chat = group.chat_dict if isinstance(group, FakeGroup) else self.state.chats[group]
        self.state.register_chat(chat)
        chat_id = int(chat["id"])
        if status in ("left", "kicked"):
            kind = "supergroup chat" if chat.get("type") == "supergroup" else "group chat"
            verb = "was kicked from" if status == "kicked" else "is not a member of"
            self.state.left_chats[chat_id] = f"Forbidden: bot {verb} the {kind}"
        else:
            self.state.left_chats.pop(chat_id, None)
        return self._member_update(chat, by.user_dict, status, old_status, date)

    def _member_update(
        self, chat: JSONDict, sender: JSONDict, status: str, old: str, date: float | None
    ) -> JSONDict:
        bot = self.state.bot_user
        event: JSONDict = {
            "chat": dict(chat),
            "from": dict(sender),
            "date": int(time.time() if date is None else date),
            "old_chat_member": chat_member(bot, old),
            "new_chat_member": chat_member(bot, status),
        }
        return self.state.queue.push({"my_chat_member": event})

    def push_update(self, update: JSONDict) -> JSONDict:
        """Queue an arbitrary (possibly malformed) update; update_id added if missing.

        A ``callback_query`` with an ``id`` becomes answerable by answerCallbackQuery.
        """
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self.state.callback_queries[str(query["id"])] = query
        return self.state.queue.push(update)

    def push_duplicate(self, update: JSONDict) -> JSONDict:
        """Deliver an update again with the same update_id (even if already confirmed)."""
        return self.state.queue.push(copy.deepcopy(update), forced=True)
