"""Sending within Telegram's limits: a token bucket per bot, a minimum gap per chat, back-off.

Pure: time is passed in as seconds from any monotonic origin.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`rate` sends a second on average, at most `capacity` at once."""

    rate: float
    capacity: float = 1.0
    tokens: float = field(init=False)
    updated: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.capacity < 1:
            raise ValueError("rate must be positive and capacity at least 1")
        self.tokens = self.capacity

    def _refill(self, now: float) -> None:
        if self.updated is not None and now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        if self.updated is None or now > self.updated:
            self.updated = now

    def available(self, now: float) -> int:
        self._refill(now)
        return int(self.tokens + 1e-9)

    def wait_time(self, now: float, n: int = 1) -> float:
        """Seconds until `n` tokens are there (0 if they are now)."""
        self._refill(now)
        missing = n - self.tokens
        return 0.0 if missing <= 1e-9 else missing / self.rate

    def take(self, now: float, n: int = 1) -> None:
        self._refill(now)
        self.tokens -= n


def burst_for(rate: float) -> float:
    """How far the worker may catch up at once after falling behind: two sends at the default
    pace. More would let a stall plus network jitter crowd Telegram's one-second window."""
    return max(2.0, rate / 20)


@dataclass
class SlidingWindow:
    """At most `limit` events in any `span` seconds: Telegram's own way of counting."""

    limit: int
    span: float = 1.0
    times: deque[float] = field(default_factory=deque)

    def wait_time(self, now: float) -> float:
        while self.times and self.times[0] <= now - self.span:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[len(self.times) - self.limit] + self.span - now

    def note(self, now: float) -> None:
        self.times.append(now)


@dataclass
class ChatPacer:
    """At most one message a second per private chat, 20 a minute per group.

    Also remembers, per chat, when the message before the last one was picked (`previous`),
    so that a 429 can be told apart: a chat that just got several messages may have met
    Telegram's per-chat limit, a quiet one cannot have (`busy`).
    """

    private_interval: float = 1.0
    group_interval: float = 3.0
    last: dict[int, float] = field(default_factory=dict)
    previous: dict[int, float] = field(default_factory=dict)
    _previous_cap: int = 10_000

    def wait_time(self, chat_id: int, now: float) -> float:
        before = self.last.get(chat_id)
        if before is None:
            return 0.0
        interval = self.group_interval if chat_id < 0 else self.private_interval
        return max(0.0, before + interval - now)

    def note(self, chat_id: int, now: float) -> None:
        before = self.last.get(chat_id)
        if before is not None:
            self.previous[chat_id] = before
        self.last[chat_id] = now
        if len(self.last) > 10_000:
            horizon = now - max(self.private_interval, self.group_interval)
            self.last = {c: t for c, t in self.last.items() if t > horizon}
        if len(self.previous) > self._previous_cap:
            self.previous = {c: t for c, t in self.previous.items() if self.busy(c, now)}
            # Amortised: the next prune only after the dict doubled again (an election
            # morning's many chats must not rebuild it on every message).
            self._previous_cap = max(10_000, 2 * len(self.previous))

    def busy(self, chat_id: int, now: float) -> bool:
        """Whether the chat got two or more messages close together just now (the one before
        the last within `BUSY_PRIVATE_SECONDS`, a group's within `BUSY_GROUP_SECONDS`): only
        then can a 429 for it be Telegram's per-chat limit (about 1 a second per private chat
        with short bursts, 20 a minute per group: Bot FAQ,
        https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this)."""
        before = self.previous.get(chat_id)
        span = BUSY_GROUP_SECONDS if chat_id < 0 else BUSY_PRIVATE_SECONDS
        return before is not None and before > now - span


# How far back the message before the last counts toward `ChatPacer.busy`: faster than
# Telegram's per-chat pace (1 a second private, 1 in 3 s a group), with the round trip.
BUSY_PRIVATE_SECONDS = 3.0
BUSY_GROUP_SECONDS = 10.0


def retry_delay(attempts: int, *, cap: float = 300) -> float:
    """Back-off after a failed attempt that certainly did not arrive: 2, 4, 8 ... `cap` s."""
    return float(min(cap, 2 ** max(1, min(attempts, 20))))


MAX_ATTEMPTS = 6
