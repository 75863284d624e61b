"""The broadcast worker's two paces: the free lane and the paid lane.

- **free**: the bot's bulk cap (Telegram: about 30 a second per bot; `Pace.rate`, 25 by
  default). Its sends also count against the bot's one limiter (`outbox.limiter`), so reminders,
  digests and alerts keep their share, and they yield to those waiting.
- **paid**: a broadcast its sender chose to send paid (Bot API `allow_paid_broadcast`: "up to
  1000 messages per second, ignoring broadcasting limits for a fee of 0.1 Telegram Stars per
  message"), at `Pace.paid_rate` (900 by default, `domain.broadcast.PAID_RATE`). Telegram does
  not count these against the bulk cap, so the limiter's bulk window does not see them; the
  per-chat pacing (about 1 a second per chat) still applies.

Each lane spaces its requests evenly and never lets more than its rate leave in any window of
`BROADCAST_WINDOW_SPAN` seconds, counted when a request leaves (Telegram counts arrivals).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field

from domain.pacing import SlidingWindow, TokenBucket, burst_for

# A broadcast's pace counted over 1.1 s: its requests leave evenly, but arrive with the
# network's and the event loop's jitter, and Telegram counts arrivals.
BROADCAST_WINDOW_SPAN = 1.1
CATCH_UP = 2  # sends a late departure may make up at once


@dataclass
class Lane:
    """One pace: `rate` messages a second (monotonic seconds throughout)."""

    rate: float
    paid: bool = False
    bucket: TokenBucket = field(init=False)
    window: SlidingWindow = field(init=False)
    spacing: float = field(init=False)
    next_departure: float = 0.0
    reserved: int = 0  # sends picked whose request has not left yet
    departures: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.bucket = TokenBucket(self.rate, burst_for(self.rate))
        self.window = SlidingWindow(max(1, math.floor(self.rate)), BROADCAST_WINDOW_SPAN)
        # Evenly spaced within the window: a window filled in a burst lets a stalled arrival
        # land in the next second beside a whole window's worth (26 in a second, seen under load).
        self.spacing = BROADCAST_WINDOW_SPAN / self.window.limit

    def room(self, now: float) -> float:
        """Seconds until the window has room for one more beside the picked ones."""
        self.window.wait_time(now)  # drops what left the window
        taken = len(self.window.times) + self.reserved
        if taken < self.window.limit:
            return 0.0
        index = taken - self.window.limit
        if index >= len(self.window.times):
            return 1.0 / self.rate
        return self.window.times[index] + self.window.span - now

    def pick_wait(self, now: float) -> float:
        """Seconds until this lane may pick one more send (0: now)."""
        return max(self.bucket.wait_time(now), self.room(now))

    def pick(self, now: float) -> None:
        """A send was picked: it leaves after `departure_wait` allows, then `left`."""
        self.bucket.take(now)
        self.reserved += 1

    def departure_wait(self, now: float) -> float:
        """Seconds the next picked send must still wait before its request leaves."""
        return max(self.window.wait_time(now), self.next_departure - now)

    def left(self, now: float) -> None:
        """Count a request leaving now, spaced from when the previous one was due (not from
        when the loop woke up): a late wake-up (a busy event loop oversleeps) is made up, at
        most CATCH_UP sends back to back, so the pace holds on average and the window still
        caps any second."""
        earliest = now - CATCH_UP * self.spacing
        self.next_departure = max(self.next_departure, earliest) + self.spacing
        self.window.note(now)
        self.reserved = max(0, self.reserved - 1)
