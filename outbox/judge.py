"""What a failed Bot API call means, and what to do about it.

    RetryAfter (429)              not delivered: wait `retry_after`, then again (FLOOD)
    ChatMigrated (400 + migrate_to_chat_id)
                                  a group became a supergroup: send to the new id (MOVED)
    Forbidden (403)               blocked, kicked, left: the chat is unreachable (UNREACHABLE)
    BadRequest "chat not found"   never opened the bot, deactivated: as Forbidden
    BadRequest "not modified"     an edit that changes nothing: it is already as wanted (DONE)
    BadRequest "TOPIC_CLOSED" / "message thread not found"
                                  the forum topic was closed or deleted: send to the group's
                                  General topic instead, without `message_thread_id` (NO_TOPIC)
    BadRequest "BALANCE_TOO_LOW" / "not enough stars"
                                  a paid broadcast's send (`allow_paid_broadcast`) the bot's
                                  Stars cannot pay: the broadcast worker sends it again free
                                  (`stars_ran_out`); elsewhere as any other BadRequest
    BadRequest (other)            refused for good; the same request fails the same way (FAILED)
    NetworkError / TimedOut       before the request left (connect error, pool timeout) or
                                  answered with a 5xx: not delivered, again with back-off
                                  (RETRY); after it left (read timeout, connection dropped): it
                                  may have arrived, so never again (UNCERTAIN)

PTB rewrites `BadRequest` texts (strips "Bad Request: ", capitalises), so texts are compared
case-insensitively.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import aiohttp
import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from domain.pacing import MAX_ATTEMPTS, retry_delay

# HTTP client failures that mean the request never reached Telegram: no connection was made
# (refused, unreachable, DNS) or none became free in time. aiohttp is the bot's client
# (`bot.request`); httpx is PTB's own, which a bot built without ours would use.
_NOT_SENT = (
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
_GONE = (
    "chat not found",
    "user is deactivated",
    "bot was blocked",
    "peer_id_invalid",
    "bot was kicked",
    "not enough rights to send",
    "have no rights to send",
)
_NOT_MODIFIED = "message is not modified"
# Telegram's refusal of a paid send (`allow_paid_broadcast`) the bot's Stars balance cannot pay.
# Telegram documents no Bot API text; BALANCE_TOO_LOW is the MTProto error for a Stars balance
# too low ("The transaction cannot be completed because the current Telegram Stars balance is
# too low"), which the Bot API passes on as "Bad Request: BALANCE_TOO_LOW"; the plain-English
# forms are matched too.
_NO_STARS = ("balance_too_low", "not enough stars", "stars_insufficient", "insufficient stars")
# Telegram's refusals of a send into a forum topic that was closed or deleted.
_NO_TOPIC = ("topic_closed", "message thread not found", "topic_deleted")


class Fate(StrEnum):
    DONE = "done"  # nothing left to do (an edit that changed nothing)
    FLOOD = "flood"  # 429: wait `pause` seconds, then again
    RETRY = "retry"  # not delivered: again in `retry_in` seconds
    MOVED = "moved"  # send to `new_chat_id` instead
    NO_TOPIC = "no_topic"  # the forum topic is closed or gone: send to General instead
    UNREACHABLE = "unreachable"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True, slots=True)
class Verdict:
    fate: Fate
    error: str | None = None
    retry_in: float | None = None  # seconds, for RETRY
    pause: float = 0.0  # seconds, for FLOOD
    new_chat_id: int | None = None  # for MOVED


def retry_after_seconds(exc: RetryAfter) -> float:
    """`retry_after` in seconds (at least 1: Telegram never asks for less)."""
    value = getattr(exc, "_retry_after", None)  # a timedelta; the public int is deprecated
    if isinstance(value, timedelta):
        return max(1.0, value.total_seconds())
    return max(1.0, float(exc.retry_after))  # type: ignore[arg-type]


def never_arrived(exc: NetworkError) -> bool:
    """True when Telegram certainly did not act on the request (or answered 5xx)."""
    cause = exc.__cause__
    return cause is None or isinstance(cause, _NOT_SENT)


def stars_ran_out(exc: Exception) -> bool:
    """Whether Telegram refused a paid send because the bot's Stars balance is too low."""
    return isinstance(exc, BadRequest) and any(text in exc.message.lower() for text in _NO_STARS)


def judge(
    exc: Exception, attempts: int, *, give_up_after: int | None = MAX_ATTEMPTS, cap: float = 300
) -> Verdict:
    """What a failed call means (`attempts` counts this one). With `give_up_after` None a call
    that did not arrive is retried for ever (the caller stops when it is no longer useful)."""
    if isinstance(exc, RetryAfter):
        return Verdict(Fate.FLOOD, "429", pause=retry_after_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return Verdict(Fate.MOVED, "migrated", new_chat_id=int(exc.new_chat_id))
    if isinstance(exc, Forbidden):
        return Verdict(Fate.UNREACHABLE, exc.message[:200])
    if isinstance(exc, BadRequest):
        lowered = exc.message.lower()
        if _NOT_MODIFIED in lowered:
            return Verdict(Fate.DONE, None)
        if any(gone in lowered for gone in _NO_TOPIC):
            return Verdict(Fate.NO_TOPIC, exc.message[:200])
        if any(gone in lowered for gone in _GONE):
            return Verdict(Fate.UNREACHABLE, exc.message[:200])
        return Verdict(Fate.FAILED, exc.message[:200])
    if isinstance(exc, NetworkError):
        if not never_arrived(exc):
            return Verdict(Fate.UNCERTAIN, str(exc)[:200])
        if give_up_after is not None and attempts >= give_up_after:
            return Verdict(Fate.FAILED, str(exc)[:200])
        return Verdict(Fate.RETRY, str(exc)[:200], retry_in=retry_delay(attempts, cap=cap))
    if isinstance(exc, TelegramError):
        return Verdict(Fate.FAILED, exc.message[:200])
    return Verdict(Fate.FAILED, repr(exc)[:200])
