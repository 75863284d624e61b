"""In-memory state of the fake Bot API: chats, messages, files and records."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .polling import UpdateQueue
from .ratelimit import FloodControl, FloodNote

if TYPE_CHECKING:
    from .business import BusinessLink
    from .topics import ForumTopic

logger = logging.getLogger(__name__)

JSONDict = dict[str, Any]

GROUP_TYPES = frozenset({"group", "supergroup"})


class ApiError(Exception):
    """An error answer of the Bot API: ``{"ok": false, "error_code": ..., ...}``."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        body: JSONDict = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


# A paid broadcast's price: "a fee of 0.1 Telegram Stars per message"
# (https://core.telegram.org/bots/api#sendmessage, allow_paid_broadcast), kept in tenths.
PAID_MESSAGE_TENTHS = 1
# Telegram's answer when the bot's balance cannot pay: the MTProto error BALANCE_TOO_LOW ("the
# current Telegram Stars balance is too low"), which the Bot API passes on as a Bad Request.
# Telegram documents no Bot API text for it; this one is the MTProto name.
BALANCE_TOO_LOW = "BALANCE_TOO_LOW"
DEFAULT_STARS = 400


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    name: str
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class StoredFile:
    """A file known to the fake server (uploaded by the bot or sent by a user)."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes | None = None
    filename: str | None = None
    mime_type: str | None = None
    source: str | None = None  # the URL or file_id string when not uploaded

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 0


@dataclass
class Call:
    """A decoded API call as seen by a method handler."""

    method: str
    params: JSONDict
    files: dict[str, UploadedFile] = field(default_factory=dict)
    flood: FloodNote | None = None  # set by a send/edit that flood control counted


@dataclass
class SentFile:
    """A file the bot sent (uploaded bytes, a reused file_id or a URL)."""

    chat_id: int
    method: str
    field: str
    file: StoredFile
    given: str | None = None  # the file_id/URL string when not uploaded
    message_id: int = 0


@dataclass
class RequestRecord:
    """One HTTP call made by the bot."""

    seq: int
    method: str
    params: JSONDict
    time: float
    files: dict[str, UploadedFile] = field(default_factory=dict)
    status: int = 0  # 0 = connection dropped on purpose
    response: JSONDict | None = None
    flood: FloodNote | None = None  # how flood control counted an accepted send/edit

    @property
    def proactive(self) -> bool | None:
        """True: counted toward the per-bot window; False: a send or edit exempt from it
        (a reply with ``cap_replies=False``, an edit); None: not an accepted send/edit."""
        return None if self.flood is None else self.flood.proactive

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))

    @property
    def result(self) -> Any:
        return self.response.get("result") if self.response else None

    @property
    def chat_id(self) -> int | str | None:
        return normalize_chat_id(self.params.get("chat_id"))


def scope_json(scope: JSONDict) -> str:
    """Canonical key of a BotCommandScope."""
    return json.dumps(scope, sort_keys=True, separators=(",", ":"))


def normalize_chat_id(value: Any) -> int | str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return text


@dataclass
class StoredMessage:
    message: JSONDict
    outgoing: bool  # sent by the bot
    deleted: bool = False


class FakeState:
    """Everything the fake server knows. Shared by method handlers and test helpers."""

    def __init__(self, token: str, bot_username: str, flood: FloodControl) -> None:
        self.token = token
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Desk Pemilu Test",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.flood = flood
        self.queue = UpdateQueue()
        self.chats: dict[int, JSONDict] = {}
        self.blocked: set[int] = set()
        self.left_chats: dict[int, str] = {}  # chat id -> Forbidden description
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.callback_queries: dict[str, JSONDict] = {}
        self.callback_answers: dict[str, JSONDict] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.sent_files: list[SentFile] = []
        self.webhook: JSONDict | None = None
        self.rate_limited_count = 0
        self.star_tenths = DEFAULT_STARS * 10  # the bot's Stars balance, in tenths of a Star
        self.paid_messages = 0  # accepted sends with allow_paid_broadcast (each charged)
        self.allow_http_webhooks = False
        self.migrated: dict[int, int] = {}  # upgraded group id -> its supergroup's id
        self.topics: dict[int, dict[int, ForumTopic]] = {}  # chat id -> thread id -> topic
        self.business: dict[str, BusinessLink] = {}  # business connections by id
        self._ids = itertools.count(1)
        self.queue.on_push = self.note_update

    # -- Stars -------------------------------------------------------------
    def check_stars(self) -> None:
        """Refuse a paid send the balance cannot pay, as Telegram does (400)."""
        if self.star_tenths < PAID_MESSAGE_TENTHS:
            raise bad_request(BALANCE_TOO_LOW)

    def charge_paid_message(self) -> None:
        """Withdraw one paid message's fee from the bot's balance."""
        self.star_tenths -= PAID_MESSAGE_TENTHS
        self.paid_messages += 1

    def note_update(self, update: JSONDict) -> None:
        """An update from a private chat makes the bot's next sends to it replies."""
        for kind in ("message", "edited_message", "callback_query", "business_message"):
            event = update.get(kind)
            if not isinstance(event, dict):
                continue
            message = event.get("message") if kind == "callback_query" else event
            chat = message.get("chat") if isinstance(message, dict) else None
            if isinstance(chat, dict) and chat.get("type") == "private":
                self.flood.note_incoming(int(chat["id"]))

    # -- chats -------------------------------------------------------------
    def register_chat(self, chat: JSONDict) -> None:
        chat_id = int(chat["id"])
        merged = dict(self.chats.get(chat_id, {}))
        merged.update(chat)
        self.chats[chat_id] = merged

    def resolve_chat(self, raw: Any, *, for_sending: bool = True) -> JSONDict:
        """Find a chat by id or ``@username``; raise the errors Telegram raises."""
        chat_id = normalize_chat_id(raw)
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        chat: JSONDict | None = None
        if isinstance(chat_id, int):
            chat = self.chats.get(chat_id)
        elif chat_id.startswith("@"):
            wanted = chat_id[1:].lower()
            chat = next(
                (c for c in self.chats.values() if str(c.get("username", "")).lower() == wanted),
                None,
            )
        if chat is None:
            raise bad_request("chat not found")
        cid = int(chat["id"])
        if cid in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[cid]},
            )
        if for_sending and chat.get("type") == "private" and cid in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if for_sending and cid in self.left_chats:
            raise ApiError(403, self.left_chats[cid])
        return chat

    # -- messages ------------------------------------------------------------
    def new_message_id(self, chat_id: int) -> int:
        value = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = value + 1
        return value

    def store_message(self, message: JSONDict, *, outgoing: bool) -> None:
        chat_id = int(message["chat"]["id"])
        self.messages.setdefault(chat_id, {})[int(message["message_id"])] = StoredMessage(
            message=message, outgoing=outgoing
        )

    def find_message(self, chat_id: int, message_id: Any) -> StoredMessage | None:
        try:
            mid = int(message_id)
        except (TypeError, ValueError):
            return None
        stored = self.messages.get(chat_id, {}).get(mid)
        if stored is None or stored.deleted:
            return None
        return stored

    def outgoing_messages(self, chat_id: int) -> list[JSONDict]:
        stored = self.messages.get(chat_id, {})
        return [s.message for _, s in sorted(stored.items()) if s.outgoing and not s.deleted]

    def bot_message(self, chat: JSONDict, **fields: Any) -> JSONDict:
        chat_id = int(chat["id"])
        message: JSONDict = {
            "message_id": self.new_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": dict(chat),
            "date": int(time.time()),
        }
        message.update({k: v for k, v in fields.items() if v is not None})
        return message

    # -- files ---------------------------------------------------------------
    def register_file(
        self,
        *,
        kind: str,
        data: bytes | None,
        filename: str | None = None,
        mime_type: str | None = None,
        source: str | None = None,
    ) -> StoredFile:
        n = next(self._ids)
        digest = hashlib.sha1(f"{kind}:{n}:{filename}".encode()).hexdigest()
        file_id = f"{kind[:3].upper()}{n:06d}{digest[:24]}"
        extension = (filename or "").rsplit(".", 1)[-1] if filename and "." in filename else "bin"
        folder = {"photo": "photos", "document": "documents", "voice": "voice"}.get(kind, kind)
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=f"U{digest[:15]}",
            file_path=f"{folder}/file_{n}.{extension}",
            data=data,
            filename=filename,
            mime_type=mime_type,
            source=source,
        )
        self.files[file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def next_id(self) -> int:
        return next(self._ids)
