"""Backpressure: how many updates the bot has taken from Telegram and not yet handled.

PTB's updater fetches `getUpdates` as fast as Telegram answers and starts a task per update at
once; the handlers then wait for the processor (`bot.processor`). In a burst of 50,000 updates
(every officer of a country opening a check-in at once) all of them were parsed and held in
memory, waiting: the bot's memory grew with the burst, not with the work in hand. Updates not
yet fetched are safe at Telegram (kept 24 hours; a webhook request not yet answered is sent
again), so the bot takes more only while fewer than `limit` are in hand: polling waits before
asking, the webhook before storing.
"""

from __future__ import annotations

import asyncio


class Backlog:
    """Updates handed to the application and not yet handled (`took`, then `done` each).

    `room()` returns once fewer than `limit` are in hand. Every path that hands an update
    over counts it (polling, the webhook, the inbox's replay and retries); `done` never takes
    the count below zero. `open_up()` stops holding back, for good (the bot is stopping).
    """

    __slots__ = ("_room", "count", "limit", "peak")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a backlog limit is at least 1")
        self.limit = limit
        self.count = 0
        self.peak = 0  # the most in hand at once (what the tests check the limit by)
        self._room: asyncio.Event | None = None

    def took(self, n: int) -> None:
        """`n` more updates were handed to the application."""
        self.count += n
        self.peak = max(self.peak, self.count)

    def done(self) -> None:
        """One update's handling ended (handled, failed or set aside)."""
        self.count = max(0, self.count - 1)
        if self.count < self.limit and self._room is not None:
            self._room.set()

    def free(self) -> int:
        """How many more may be taken now (0 when full)."""
        return max(0, self.limit - self.count)

    def open_up(self) -> None:
        """Hold nothing back any more: the updater's last call as it stops (it confirms the
        offset to Telegram) must not wait for handlers that may be stuck."""
        self.limit = 2**62
        if self._room is not None:
            self._room.set()

    async def room(self) -> None:
        """Wait until fewer than `limit` updates are in hand."""
        while self.count >= self.limit:
            if self._room is None:
                self._room = asyncio.Event()
            self._room.clear()
            await self._room.wait()
