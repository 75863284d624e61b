"""What a failed broadcast send means for its delivery.

Telegram errors, and how they are taken:

    RetryAfter (429)              not delivered; pause the whole worker, give the row back
    Forbidden (403)               blocked, or left: `blocked`, the person becomes unreachable
    BadRequest "chat not found"   never opened the bot: as Forbidden
    BadRequest (other)            `failed`, not retried (the same request fails the same way)
    NetworkError / TimedOut       before the request left (connect error, pool timeout) or
                                  answered with a 5xx: not delivered, retried with back-off;
                                  after it left (read timeout, connection dropped): it may
                                  have arrived, so `uncertain`, never sent again
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from domain.broadcast import DeliveryStatus
from domain.pacing import MAX_ATTEMPTS, retry_delay

# httpx failures that mean the request never reached Telegram.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_GONE = ("chat not found", "user is deactivated", "bot was blocked", "peer_id_invalid")


def retry_after_seconds(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)  # a timedelta; the public int is deprecated
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(exc.retry_after)  # type: ignore[arg-type]


def never_arrived(exc: NetworkError) -> bool:
    """True when Telegram certainly did not act on the request."""
    cause = exc.__cause__
    return cause is None or isinstance(cause, _NOT_SENT)


@dataclass(frozen=True, slots=True)
class Verdict:
    status: DeliveryStatus  # PENDING: give it back to the queue
    error: str | None = None
    retry_in: float | None = None  # seconds, for a retry
    pause: float = 0.0  # seconds the whole worker must wait (429)
    unreachable: bool = False


def judge(exc: Exception, attempts: int) -> Verdict:
    """What a failed send means for its delivery row (`attempts` counts this one)."""
    if isinstance(exc, RetryAfter):
        return Verdict(DeliveryStatus.PENDING, "429", pause=retry_after_seconds(exc))
    if isinstance(exc, Forbidden):
        return Verdict(DeliveryStatus.BLOCKED, exc.message[:200], unreachable=True)
    if isinstance(exc, BadRequest):
        if any(gone in exc.message.lower() for gone in _GONE):
            return Verdict(DeliveryStatus.BLOCKED, exc.message[:200], unreachable=True)
        return Verdict(DeliveryStatus.FAILED, exc.message[:200])
    if isinstance(exc, NetworkError):
        if not never_arrived(exc):
            return Verdict(DeliveryStatus.UNCERTAIN, str(exc)[:200])
        if attempts >= MAX_ATTEMPTS:
            return Verdict(DeliveryStatus.FAILED, str(exc)[:200])
        return Verdict(DeliveryStatus.PENDING, str(exc)[:200], retry_in=retry_delay(attempts))
    if isinstance(exc, TelegramError):
        return Verdict(DeliveryStatus.FAILED, exc.message[:200])
    return Verdict(DeliveryStatus.FAILED, repr(exc)[:200])
