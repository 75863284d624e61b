"""One limiter for every call the bot makes, by Telegram's rules.

Telegram (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
about 30 messages a second per bot for bulk sends, about 1 a second per private chat, 20 a
minute per group. Replies to what a person just sent are not held to the bulk cap (grammY's
maintainers report so; Telegram publishes no figure), so they go at once and are held back only
when Telegram answers 429. After a 429 on a reply to a quiet chat, replies too are paced for a while
(a 429 for a chat that just got several messages may be Telegram's per-chat limit: only that
chat waits, and an officer tapping fast does not slow everyone's receipts): whatever
Telegram's real limit for replies is, the bot then stays under it. When that while ends, replies
*probe* for `PROBE_SECONDS` at twice the cap before going unpaced: if Telegram does hold replies
to the cap, the probe meets one 429, not one per request in flight, and the next paced while is
twice as long (up to `MAX_FLOOD_MODE_SECONDS`); a morning's backlog then costs a handful of
probes, not a burst of refusals every minute.

Why the project's own pacing and not a library: `aiolimiter`'s leaky bucket at capacity `rate`
lets up to twice the rate through in a sliding second (a full bucket plus a second's refill),
and neither it nor PTB's `AIORateLimiter` (no per-private-chat limit, re-raises `RetryAfter`)
knows priorities. `domain.pacing` has the sliding window Telegram counts by, already tested.

Counting happens when the request is about to leave (`note`), not when it was queued.

Telegram counts arrivals, and requests arrive a little earlier or later than they left: the
window is a second plus a *margin* for that jitter, measured rather than guessed. A request's
arrival can be off by no more than the spread of recent round trips (slowest less fastest of
the last `ROUND_TRIPS` answered calls without a file, each counted from the moment it was
counted), so that spread is the margin, from `MIN_MARGIN` up to `FIRST_MARGIN` (the fixed
margin this replaced, and the one used until enough calls were answered): a network shown to
be steady gets a tighter window, a jittery one never a wider one than before on that account.
A 429 on a paced call says Telegram counted more than the bot did: the margin then gets
`WIDEN` more (once for the calls refused together), an extra that halves every
`WIDEN_HALF_LIFE` seconds, up to `MAX_MARGIN` in all.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from domain.pacing import ChatPacer, SlidingWindow, TokenBucket, burst_for

# The window: a second plus a margin for the jitter between leaving and arriving (module doc).
SECOND = 1.0
FIRST_MARGIN = 0.02  # until `MIN_ROUND_TRIPS` calls were answered; the most a spread gives
MIN_MARGIN = 0.002
MAX_MARGIN = 0.1
WIDEN = 0.01  # more margin after a paced call's 429 ...
WIDEN_HALF_LIFE = 600.0  # ... halving every ten minutes
WIDEN_EPISODE = 1.0  # 429s within this many seconds of one that widened are the same refusal
ROUND_TRIPS = 64
MIN_ROUND_TRIPS = 8
FLOOD_MODE_SECONDS = 60.0  # replies paced after a 429 on one: the first while
MAX_FLOOD_MODE_SECONDS = 960.0  # ... doubled each time the probe after it meets a 429
PROBE_SECONDS = 10.0  # then replies at twice the cap before they go unpaced
PROBE_FACTOR = 2


@dataclass
class Limiter:
    """Bulk cap (`rate` a second), per-chat pacing, and 429 blocks. Times: monotonic seconds.

    A paced call (proactive, or a reply while replies are paced) is *reserved* when the sender
    picks it (`reserve`), so no more are picked than the window holds, and *counted* when its
    request leaves (`depart`, after waiting `departure_wait`): the claim written in between may
    take a while, and Telegram counts arrivals.
    """

    rate: float = 30.0
    # Replies under the bulk cap from the start (PACE_REPLIES): for a Telegram seen holding
    # replies to it, where waiting for its first 429 costs a refusal per call then in flight.
    pace_replies: bool = False
    window: SlidingWindow = field(init=False)
    bucket: TokenBucket = field(init=False)
    chats: ChatPacer = field(default_factory=ChatPacer)
    blocked: dict[int, float] = field(default_factory=dict)  # chat -> free again at
    bulk_paused_until: float = 0.0
    replies_paused_until: float = 0.0
    replies_paced_until: float = -math.inf  # never paced yet
    flood_mode_seconds: float = FLOOD_MODE_SECONDS  # the next paced while after a reply's 429
    reserved: int = 0  # picked, not yet left
    flood_count: int = 0
    chat_flood_count: int = 0  # replies' 429s put down to a busy chat (`ChatPacer.busy`)
    waiting: int = 0  # proactive calls of the sender held back right now (they outrank broadcasts)
    round_trips: deque[float] = field(default_factory=lambda: deque(maxlen=ROUND_TRIPS))
    widened: float = 0.0  # extra margin after paced calls' 429s, as of `widened_at`
    widened_at: float = -math.inf

    def __post_init__(self) -> None:
        self.window = SlidingWindow(max(1, math.floor(self.rate)), SECOND + FIRST_MARGIN)
        # Even spacing, catching up at most `burst_for(rate)` after a late wake-up (a loaded
        # event loop): the window alone decides how many fit in Telegram's second.
        self.bucket = TokenBucket(self.rate, burst_for(self.rate))
        if self.pace_replies:
            self.replies_paced_until = math.inf

    def margin(self, now: float) -> float:
        """Seconds the window outlasts a second (module doc): the round trips' spread, plus
        what 429s added (fading), within `MIN_MARGIN`..`MAX_MARGIN`."""
        trips = self.round_trips
        spread = max(trips) - min(trips) if len(trips) >= MIN_ROUND_TRIPS else FIRST_MARGIN
        return min(MAX_MARGIN, min(FIRST_MARGIN, max(MIN_MARGIN, spread)) + self._widened(now))

    def _widened(self, now: float) -> float:
        return self.widened * 0.5 ** (max(0.0, now - self.widened_at) / WIDEN_HALF_LIFE)

    def typical_round_trip(self) -> float:
        """The median of the recent round trips (`note_round_trip`), seconds; 0 before any."""
        if not self.round_trips:
            return 0.0
        ordered = sorted(self.round_trips)
        return ordered[len(ordered) // 2]

    def note_round_trip(self, seconds: float, *, now: float) -> None:
        """A call answered `seconds` after it was counted (`depart`): the window follows."""
        self.round_trips.append(seconds)
        self.window.span = SECOND + self.margin(now)

    def paced(self, *, proactive: bool, now: float) -> bool:
        """Whether a call goes under the bulk cap: proactive ones, and replies after a 429
        (during the paced while and the probe after it)."""
        return proactive or now < self.replies_paced_until + PROBE_SECONDS

    def probing(self, now: float) -> bool:
        """Replies' probe: the paced while is over, replies go at twice the cap for a while."""
        return self.replies_paced_until <= now < self.replies_paced_until + PROBE_SECONDS

    def _limit(self, *, proactive: bool, now: float) -> int:
        """Calls allowed in the window for this call (a probing reply: twice the cap)."""
        if not proactive and self.probing(now):
            return self.window.limit * PROBE_FACTOR
        return self.window.limit

    def _window_room(self, now: float, limit: int) -> float:
        """Seconds until the window has room for one more beside the reserved ones."""
        window = self.window
        window.wait_time(now)  # drops what left the window
        taken = len(window.times) + self.reserved
        if taken < limit:
            return 0.0
        index = taken - limit
        if index >= len(window.times):
            return 1.0 / self.rate  # all reserved: look again when the next one has left
        return window.times[index] + window.span - now

    def wait_time(self, chat_id: int, *, proactive: bool, now: float) -> float:
        """Seconds until a call to `chat_id` may be picked (0: now)."""
        wait = max(0.0, self.blocked.get(chat_id, 0.0) - now)
        if not proactive:
            wait = max(wait, self.replies_paused_until - now)
        if self.paced(proactive=proactive, now=now):
            limit = self._limit(proactive=proactive, now=now)
            wait = max(wait, self.bulk_paused_until - now, self._window_room(now, limit))
        if proactive:
            wait = max(wait, self.chats.wait_time(chat_id, now))
        return wait

    def chat_wait(self, chat_id: int, now: float) -> float:
        """Seconds until this chat may get a proactive call, the bulk cap aside."""
        return max(0.0, self.blocked.get(chat_id, 0.0) - now, self.chats.wait_time(chat_id, now))

    def reserve(self, chat_id: int, *, proactive: bool, now: float) -> bool:
        """Pick a call; True when it is paced (then `depart` or `cancel` it later)."""
        self.chats.note(chat_id, now)
        if self.paced(proactive=proactive, now=now):
            self.reserved += 1
            return True
        return False

    def departure_wait(self, now: float, *, proactive: bool = True) -> float:
        """Seconds a paced call must still wait before its request leaves (a probing reply:
        the window at twice the cap, not the even spacing)."""
        if not proactive and self.probing(now):
            window = self.window
            window.wait_time(now)
            limit = self._limit(proactive=False, now=now)
            if len(window.times) < limit:
                return 0.0
            return window.times[len(window.times) - limit] + window.span - now
        return max(
            0.0,
            self.bulk_paused_until - now,
            self.window.wait_time(now),
            self.bucket.wait_time(now),
        )

    def depart(self, *, paced: bool, now: float) -> None:
        """Count a call whose request leaves now. Replies count too: bulk sends yield to them."""
        self.window.note(now)
        if paced:
            self.bucket.take(now)
            self.bucket.tokens = max(self.bucket.tokens, 0.0)  # a probing reply owes nothing
            self.reserved = max(0, self.reserved - 1)

    def cancel(self) -> None:
        """A reserved call that will not leave (its claim was lost)."""
        self.reserved = max(0, self.reserved - 1)

    def note(self, chat_id: int, *, proactive: bool, now: float) -> None:
        """Pick and count at once (the broadcast worker, whose sends leave straight away)."""
        self.depart(paced=self.reserve(chat_id, proactive=proactive, now=now), now=now)

    def flooded(self, chat_id: int, retry_after: float, *, proactive: bool, now: float) -> None:
        """Telegram answered 429 with `retry_after` seconds for a call to `chat_id`. Telegram
        then refuses more than that chat, so the lane waits too."""
        self.flood_count += 1
        # A reply to a chat that just got several messages: Telegram's per-chat limit may be
        # what refused it, so only that chat waits. Were it the bulk cap, the next reply to a
        # quiet chat meets a 429 too, and replies are paced from there.
        # While replies are paced or probing, a reply's 429 is the bulk cap's, as before: the
        # probe's refusal must double the paced while whichever chat it fell on.
        chat_scope = (
            not proactive
            and not self.paced(proactive=False, now=now)
            and self.chats.busy(chat_id, now)
        )
        paced = proactive or (self.paced(proactive=False, now=now) and not self.probing(now))
        if paced and not chat_scope and now - self.widened_at >= WIDEN_EPISODE:
            # a paced call was refused: Telegram counted more in its second than the bot did
            self.widened, self.widened_at = self._widened(now) + WIDEN, now
            self.window.span = SECOND + self.margin(now)
        until = now + retry_after
        self.blocked[chat_id] = max(self.blocked.get(chat_id, 0.0), until)
        if proactive:
            self.bulk_paused_until = max(self.bulk_paused_until, until)
        elif chat_scope:
            self.chat_flood_count += 1
        else:
            self.replies_paused_until = max(self.replies_paused_until, until)
            if self.replies_paced_until <= now < self.replies_paced_until + PROBE_SECONDS:
                # the probe met a 429: Telegram does hold replies back; pace them longer
                self.flood_mode_seconds = min(self.flood_mode_seconds * 2, MAX_FLOOD_MODE_SECONDS)
            elif now >= self.replies_paced_until + PROBE_SECONDS:
                self.flood_mode_seconds = FLOOD_MODE_SECONDS  # a 429 after a calm: start over
            self.replies_paced_until = max(self.replies_paced_until, now + self.flood_mode_seconds)
        if len(self.blocked) > 10_000:
            self.blocked = {c: t for c, t in self.blocked.items() if t > now}
