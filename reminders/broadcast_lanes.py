"""The broadcast worker's two paces: the free lane and the paid lane.

- **free**: the bot's bulk cap (Telegram: about 30 a second per bot; `Pace.rate`, 25 by
  default). Its sends also count against the bot's one limiter (`outbox.limiter`), so reminders,
  digests and alerts keep their share, and they yield to those waiting.
- **paid**: a broadcast its sender chose to send paid (Bot API `allow_paid_broadcast`: "up to
  1000 messages per second, ignoring broadcasting limits for a fee of 0.1 Telegram Stars per
  message"), at `Pace.paid_rate` (900 by default, `domain.broadcast.PAID_RATE`). Telegram does
  not count these against the bulk cap, so the limiter's bulk window does not see them; the
  per-chat pacing (about 1 a second per chat) still applies.

Each lane spaces its requests evenly and never lets more than its rate reach Telegram in any
second, whatever happens between a request leaving and arriving (Telegram counts arrivals),
not even when the process stalls (a garbage-collector pause, a starved CPU) between counting a
request and sending it, and then catches up (seen: 26 in a second at a pace of 25).

How: a request's arrival, less the network's quickest way out, lies between the moment it
left and that moment plus *its round trip less the quickest round trip seen lately* (whatever
delayed it — a stall on our side, a slow route — made its round trip longer by at least that
much). So a request counts from when it leaves (in flight: counted until answered) until one
second after that latest moment. On a steady network that is about a second after leaving,
whatever the round trip; a request held up in a stall counts for the stall too. The one
assumption (as in NTP's clock filter) is that some recent request went and came back by the
quickest way; until `MIN_ROUND_TRIPS` were answered, a request counts until a second after its
answer, which needs none.
"""

from __future__ import annotations

import asyncio
import bisect
import math
from collections import deque
from dataclasses import dataclass, field

from domain.pacing import SlidingWindow, TokenBucket, burst_for

# Telegram's second, exact: the jitter between leaving and arriving is counted per request.
BROADCAST_WINDOW_SPAN = 1.0
CATCH_UP = 2  # sends a late departure may make up at once
ROUND_TRIPS = 64  # the recent round trips whose quickest is the lane's reference
MIN_ROUND_TRIPS = 8  # fewer answered: count until a second after the answer
# The quickest round trip seen is a little slower than the quickest way out and back (no one
# request has met the quickest of both): a few milliseconds more for that.
QUICKEST_ERROR = 0.005


@dataclass
class Lane:
    """One pace: `rate` messages a second (monotonic seconds throughout).

    A send goes through `pick` (taken from the stock), `left` (its request leaves: counted
    as in flight; returns the moment to give back to `answered`) and `answered` (Telegram's
    answer, or the failure, came back: counted in the window from the latest moment it can
    have arrived, see the module docstring); `withdrawn` for one that left this lane but was
    never sent through it.
    """

    rate: float
    paid: bool = False
    bucket: TokenBucket = field(init=False)
    window: SlidingWindow = field(init=False)  # latest arrivals of answered sends, sorted
    spacing: float = field(init=False)
    next_departure: float = 0.0
    reserved: int = 0  # sends picked whose request has not left yet
    in_flight: int = 0  # requests left and not answered: they may arrive at any moment
    departures: asyncio.Lock = field(default_factory=asyncio.Lock)
    round_trips: deque[float] = field(default_factory=lambda: deque(maxlen=ROUND_TRIPS))

    def __post_init__(self) -> None:
        self.bucket = TokenBucket(self.rate, burst_for(self.rate))
        self.window = SlidingWindow(max(1, math.floor(self.rate)), BROADCAST_WINDOW_SPAN)
        # Evenly spaced within the window: a window filled in a burst would leave nothing
        # for the rest of the second, and the pace would come in bursts.
        self.spacing = BROADCAST_WINDOW_SPAN / self.window.limit

    def _free_in(self, now: float, taken: int) -> float:
        """Seconds until the window has room for one more beside `taken` counted sends."""
        if taken < self.window.limit:
            return 0.0
        index = taken - self.window.limit
        if index >= len(self.window.times):
            return self.spacing  # only an answer still on its way frees room: look again
        return self.window.times[index] + self.window.span - now

    def _counted(self, now: float) -> int:
        self.window.wait_time(now)  # drops what left the window
        return len(self.window.times) + self.in_flight

    def room(self, now: float) -> float:
        """Seconds until the window has room for one more beside the picked ones."""
        return self._free_in(now, self._counted(now) + self.reserved)

    def pick_wait(self, now: float) -> float:
        """Seconds until this lane may pick one more send (0: now)."""
        return max(self.bucket.wait_time(now), self.room(now))

    def pick(self, now: float) -> None:
        """A send was picked: it leaves after `departure_wait` allows, then `left`."""
        self.bucket.take(now)
        self.reserved += 1

    def departure_wait(self, now: float) -> float:
        """Seconds the next picked send must still wait before its request leaves."""
        return max(self._free_in(now, self._counted(now)), self.next_departure - now)

    def left(self, now: float) -> float:
        """Count a request leaving now, spaced from when the previous one was due (not from
        when the loop woke up): a late wake-up (a busy event loop oversleeps) is made up, at
        most CATCH_UP sends back to back, so the pace holds on average and the window still
        caps any second. Returns `now`, for `answered`."""
        earliest = now - CATCH_UP * self.spacing
        self.next_departure = max(self.next_departure, earliest) + self.spacing
        self.in_flight += 1
        self.reserved = max(0, self.reserved - 1)
        return now

    def answered(self, now: float, left_at: float) -> None:
        """The answer to a request that `left` at `left_at` came back now (or it failed): it
        counts for a second from the latest moment it can have arrived (module docstring)."""
        self.in_flight = max(0, self.in_flight - 1)
        trip = max(0.0, now - left_at)
        self.round_trips.append(trip)
        if len(self.round_trips) >= MIN_ROUND_TRIPS:
            latest = left_at + trip - min(self.round_trips) + QUICKEST_ERROR
        else:
            latest = now
        bisect.insort(self.window.times, latest)

    def withdrawn(self) -> None:
        """A request counted by `left` that never went out through this lane."""
        self.in_flight = max(0, self.in_flight - 1)
