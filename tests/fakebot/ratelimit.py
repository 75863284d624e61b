"""Sliding-window flood control resembling Telegram's documented limits.

Chosen model (Telegram does not publish exact algorithms):

* per bot: at most ``per_bot_rate`` sends in any sliding 1 second window;
* per private chat: a burst of ``private_burst`` sends (default 3) is allowed,
  then on average ``per_chat_rate`` per second, i.e. at most ``private_burst``
  sends in any sliding window of ``private_burst / per_chat_rate`` seconds;
* per group/supergroup/channel (negative chat id): at most
  ``per_group_per_minute`` sends in any sliding 60 second window.

Edits count toward the per-chat/per-group windows; they count toward the per-bot
window only if ``count_edits_per_bot`` is true. Rejected (429) calls are not counted.
``retry_after`` is the whole number of seconds (at least 1) until the blocking
window frees a slot, as Telegram answers integers.
"""

from __future__ import annotations

import math
import time
from collections import deque


class SlidingWindow:
    def __init__(self, limit: int, window: float) -> None:
        self.limit = max(1, limit)
        self.window = window
        self.hits: deque[float] = deque()

    def _purge(self, now: float) -> None:
        while self.hits and self.hits[0] <= now - self.window:
            self.hits.popleft()

    def wait_time(self, now: float) -> float:
        """Seconds until one more hit is allowed (0 if allowed now)."""
        self._purge(now)
        if len(self.hits) < self.limit:
            return 0.0
        return self.hits[len(self.hits) - self.limit] + self.window - now

    def hit(self, now: float) -> None:
        self.hits.append(now)


class FloodControl:
    def __init__(
        self,
        *,
        enabled: bool,
        per_bot_rate: float,
        per_chat_rate: float,
        per_group_per_minute: int,
        private_burst: int = 3,
        count_edits_per_bot: bool = False,
    ) -> None:
        self.enabled = enabled
        self.per_bot_rate = per_bot_rate
        self.per_chat_rate = per_chat_rate
        self.per_group_per_minute = per_group_per_minute
        self.private_burst = private_burst
        self.count_edits_per_bot = count_edits_per_bot
        self._bot = SlidingWindow(math.floor(per_bot_rate), 1.0)
        self._chats: dict[int, SlidingWindow] = {}

    def _chat_window(self, chat_id: int) -> SlidingWindow:
        window = self._chats.get(chat_id)
        if window is None:
            if chat_id < 0:
                window = SlidingWindow(self.per_group_per_minute, 60.0)
            else:
                burst = max(1, self.private_burst)
                window = SlidingWindow(burst, burst / max(self.per_chat_rate, 1e-6))
            self._chats[chat_id] = window
        return window

    def acquire(self, chat_id: int, *, is_edit: bool, now: float | None = None) -> int | None:
        """Count one send; return ``retry_after`` seconds if it must be rejected."""
        if not self.enabled:
            return None
        moment = time.monotonic() if now is None else now
        windows = [self._chat_window(chat_id)]
        if not is_edit or self.count_edits_per_bot:
            windows.append(self._bot)
        wait = max(w.wait_time(moment) for w in windows)
        if wait > 0:
            return max(1, math.ceil(wait))
        for window in windows:
            window.hit(moment)
        return None

    def reset(self) -> None:
        self._bot.hits.clear()
        self._chats.clear()
