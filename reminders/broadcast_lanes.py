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
second, whatever happens between a request leaving and arriving (Telegram counts arrivals):
a request is counted from the moment it leaves (the earliest it can arrive) until one second
after its answer came back (the latest it can have arrived). So for any two requests 25 apart
in a lane of 25 a second, the later left at least a second after the earlier was answered,
and no second at Telegram holds 26, not even when the process stalls (a garbage-collector
pause, a starved CPU) between counting a request and its arrival, and then catches up.

The price is the round trip: a lane of 25 a second sends 25 per (1 s + round trip), about
24.5 a second at 20 ms and 20 at 250 ms (Indonesia to the Bot API's servers in Europe), where
the 1.1 s window counted at departure it replaced sent 22.7 whatever the round trip, and
no guarantee. A desk that needs its broadcasts faster can raise BROADCAST_RATE closer to
Telegram's 30 (the pace is now a guarantee, and the limiter's shared window still holds the
bulk cap) or send paid.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field

from domain.pacing import SlidingWindow, TokenBucket, burst_for

# Telegram's second. Exact, not widened: a request is counted until a second after its answer
# (see the module docstring), so the network's and the event loop's jitter cannot bunch 26.
BROADCAST_WINDOW_SPAN = 1.0
CATCH_UP = 2  # sends a late departure may make up at once


@dataclass
class Lane:
    """One pace: `rate` messages a second (monotonic seconds throughout).

    A send goes through `pick` (taken from the stock), `left` (its request leaves: counted
    as in flight) and `answered` (Telegram's answer, or the failure, came back: counted in
    the window for `BROADCAST_WINDOW_SPAN` from then); `withdrawn` for one that left this
    lane but was never sent through it.
    """

    rate: float
    paid: bool = False
    bucket: TokenBucket = field(init=False)
    window: SlidingWindow = field(init=False)  # answer times of the lane's sends
    spacing: float = field(init=False)
    next_departure: float = 0.0
    reserved: int = 0  # sends picked whose request has not left yet
    in_flight: int = 0  # requests left and not answered: they may arrive at any moment
    departures: asyncio.Lock = field(default_factory=asyncio.Lock)

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

    def left(self, now: float) -> None:
        """Count a request leaving now, spaced from when the previous one was due (not from
        when the loop woke up): a late wake-up (a busy event loop oversleeps) is made up, at
        most CATCH_UP sends back to back, so the pace holds on average and the window still
        caps any second."""
        earliest = now - CATCH_UP * self.spacing
        self.next_departure = max(self.next_departure, earliest) + self.spacing
        self.in_flight += 1
        self.reserved = max(0, self.reserved - 1)

    def answered(self, now: float) -> None:
        """The answer to a request that `left` came back (or it failed): from now it counts
        for one window, the latest Telegram can have counted it."""
        self.in_flight = max(0, self.in_flight - 1)
        self.window.note(now)

    def withdrawn(self) -> None:
        """A request counted by `left` that never went out through this lane."""
        self.in_flight = max(0, self.in_flight - 1)
