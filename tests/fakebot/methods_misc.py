"""Bot API methods other than sending/editing messages."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from .methods_send import Handler
from .polling import PollTerminated
from .state import ApiError, Call, FakeState, JSONDict, bad_request, normalize_chat_id, scope_json

WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_PORTS = (443, 80, 88, 8443)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


def _int(params: JSONDict, name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f'field "{name}" must be of type Integer') from None


async def get_me(state: FakeState, call: Call) -> Any:
    return dict(state.bot_user)


async def get_updates(state: FakeState, call: Call) -> Any:
    if state.webhook is not None:
        raise ApiError(409, WEBHOOK_CONFLICT)
    p = call.params
    offset = p.get("offset")
    allowed = p.get("allowed_updates")
    try:
        return await state.queue.get_updates(
            offset=None if offset in (None, "") else _int(p, "offset", 0),
            limit=min(100, max(1, _int(p, "limit", 100))),
            wait_seconds=max(0, _int(p, "timeout", 0)),
            allowed_updates=[str(a) for a in allowed] if isinstance(allowed, list) else None,
        )
    except PollTerminated as exc:
        raise ApiError(409, str(exc)) from None


async def set_webhook(state: FakeState, call: Call) -> Any:
    p = call.params
    url = str(p.get("url") or "")
    drop = bool(p.get("drop_pending_updates"))
    if drop:
        state.queue.clear()
    if not url:
        state.webhook = None
        return True
    check_webhook_url(url, allow_http=state.allow_http_webhooks)
    secret = p.get("secret_token")
    if secret is not None and not SECRET_RE.match(str(secret)):
        raise bad_request("secret token contains unallowed characters")
    allowed = p.get("allowed_updates")
    state.webhook = {
        "url": url,
        "secret_token": secret,
        "drop_pending_updates": drop,
        "max_connections": _int(p, "max_connections", 40),
        "allowed_updates": allowed if isinstance(allowed, list) else None,
        "ip_address": p.get("ip_address"),
    }
    return True


def check_webhook_url(url: str, *, allow_http: bool) -> None:
    """Telegram accepts only HTTPS webhooks on ports 443, 80, 88 or 8443
    (https://core.telegram.org/bots/api#setwebhook); ``allow_http`` lets loopback tests
    use ``http://`` on any port."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise bad_request("bad webhook: Wrong port number specified in the URL") from None
    if parts.scheme == "http" and allow_http and parts.hostname:
        return
    if parts.scheme != "https" or not parts.hostname:
        raise bad_request("bad webhook: HTTPS url must be provided for webhook")
    if port not in (None, *WEBHOOK_PORTS):
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


async def delete_webhook(state: FakeState, call: Call) -> Any:
    if call.params.get("drop_pending_updates"):
        state.queue.clear()
    state.webhook = None
    return True


async def get_webhook_info(state: FakeState, call: Call) -> Any:
    hook = state.webhook or {}
    info: JSONDict = {
        "url": hook.get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": len(state.queue.pending()),
    }
    if hook:
        info["max_connections"] = hook["max_connections"]
        if hook.get("allowed_updates"):
            info["allowed_updates"] = hook["allowed_updates"]
        if hook.get("ip_address"):
            info["ip_address"] = hook["ip_address"]
    return info


def scope_key(state: FakeState, raw: Any) -> str:
    scope: JSONDict = dict(raw) if isinstance(raw, dict) else {"type": "default"}
    if scope.get("type") not in SCOPE_TYPES:
        raise bad_request("unsupported bot command scope type")
    if scope["type"] in ("chat", "chat_administrators", "chat_member"):
        chat = state.resolve_chat(scope.get("chat_id"), for_sending=False)
        scope["chat_id"] = int(chat["id"])
    if scope["type"] == "chat_member":
        scope["user_id"] = normalize_chat_id(scope.get("user_id"))
    return scope_json(scope)


async def set_my_commands(state: FakeState, call: Call) -> Any:
    commands = call.params.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    cleaned: list[JSONDict] = []
    for item in commands:
        if not isinstance(item, dict) or not COMMAND_RE.match(str(item.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        description = str(item.get("description", ""))
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        cleaned.append({"command": item["command"], "description": description})
    key = (scope_key(state, call.params.get("scope")), str(call.params.get("language_code") or ""))
    if cleaned:
        state.commands[key] = cleaned
    else:
        state.commands.pop(key, None)
    return True


async def get_my_commands(state: FakeState, call: Call) -> Any:
    key = (scope_key(state, call.params.get("scope")), str(call.params.get("language_code") or ""))
    return [dict(c) for c in state.commands.get(key, [])]


async def delete_my_commands(state: FakeState, call: Call) -> Any:
    key = (scope_key(state, call.params.get("scope")), str(call.params.get("language_code") or ""))
    state.commands.pop(key, None)
    return True


async def answer_callback_query(state: FakeState, call: Call) -> Any:
    query_id = str(call.params.get("callback_query_id") or "")
    if query_id not in state.callback_queries or query_id in state.callback_answers:
        raise bad_request(QUERY_INVALID)
    state.callback_answers[query_id] = dict(call.params)
    return True


async def send_chat_action(state: FakeState, call: Call) -> Any:
    chat = state.resolve_chat(call.params.get("chat_id"))
    action = str(call.params.get("action") or "")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    state.chat_actions.append((int(chat["id"]), action))
    return True


async def get_file(state: FakeState, call: Call) -> Any:
    stored = state.files.get(str(call.params.get("file_id") or ""))
    if stored is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }


async def get_chat(state: FakeState, call: Call) -> Any:
    chat = state.resolve_chat(call.params.get("chat_id"), for_sending=False)
    info = dict(chat)
    info.update(
        accent_color_id=0,
        max_reaction_count=11,
        accepted_gift_types={
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    )
    return info


async def leave_chat(state: FakeState, call: Call) -> Any:
    chat = state.resolve_chat(call.params.get("chat_id"))
    if chat.get("type") == "private":
        raise bad_request("chat member status can't be changed in private chats")
    kind = "supergroup chat" if chat.get("type") == "supergroup" else "group chat"
    state.left_chats[int(chat["id"])] = f"Forbidden: bot is not a member of the {kind}"
    return True


async def set_chat_menu_button(state: FakeState, call: Call) -> Any:
    raw_chat = call.params.get("chat_id")
    chat_id = None
    if raw_chat not in (None, ""):
        chat_id = int(state.resolve_chat(raw_chat, for_sending=False)["id"])
    button = call.params.get("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("can't parse menu button JSON object")
    state.menu_buttons[chat_id] = button
    return True


async def get_chat_menu_button(state: FakeState, call: Call) -> Any:
    raw_chat = normalize_chat_id(call.params.get("chat_id"))
    key = raw_chat if isinstance(raw_chat, int) else None
    return state.menu_buttons.get(key, state.menu_buttons.get(None, {"type": "default"}))


async def always_true(state: FakeState, call: Call) -> Any:
    return True


MISC_METHODS: dict[str, Handler] = {
    "getme": get_me,
    "getupdates": get_updates,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "answercallbackquery": answer_callback_query,
    "sendchataction": send_chat_action,
    "getfile": get_file,
    "getchat": get_chat,
    "leavechat": leave_chat,
    "setchatmenubutton": set_chat_menu_button,
    "getchatmenubutton": get_chat_menu_button,
    "close": always_true,
    "logout": always_true,
}
