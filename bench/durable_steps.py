"""Time the two steps the durable path adds to a reply, from outside the bot.

Today's direct reply (the bot before the outbox) no longer exists to measure, so the quiet-path
section estimates it from the outbox round trip minus what only the durable path does:

* the inbox commit of the `getUpdates` answer (`outbox.inbox.Inbox.take`), and
* the sender's claim (release after the check-in's commit -> the receipt's request leaving;
  the request itself is made by every reply, direct or not, so it is not counted).

The wrappers only read the clock; they are installed for one `with` block and removed after.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from outbox.inbox import Inbox
from outbox.sender import Sender
from storage.outbox import Queued


@dataclass
class Steps:
    """Seconds spent in inbox commits, and when each chat's answer was last released."""

    inbox_seconds: dict[int, float] = field(default_factory=dict)  # chat id -> last commit
    released_at: dict[int, float] = field(default_factory=dict)  # chat id -> wall clock
    departed_at: dict[int, float] = field(default_factory=dict)  # chat id -> wall clock

    def durable(self, chat_id: int, arrived: float) -> float:
        """Seconds of durable steps in the round trip of `chat_id`'s answer."""
        released = self.released_at.get(chat_id, arrived)
        departed = self.departed_at.get(chat_id, arrived)
        return self.inbox_seconds.get(chat_id, 0.0) + max(0.0, departed - released)


@contextmanager
def timed_steps() -> Iterator[Steps]:
    """Record the durable steps of every update and answer while the block runs."""
    steps = Steps()
    take, release, call = Inbox.take, Sender.release, Sender._call

    async def timed_take(self: Inbox, updates: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        started = time.perf_counter()
        try:
            return await take(self, updates)
        finally:
            spent = time.perf_counter() - started
            for update in updates:
                chat = (update.get("message") or {}).get("chat") or {}
                if "id" in chat:
                    steps.inbox_seconds[int(chat["id"])] = spent

    def timed_release(self: Sender, queued: Sequence[Queued]) -> list[Any]:
        now = time.time()
        for item in queued:
            steps.released_at[item.chat_id] = now
        return release(self, queued)

    async def timed_call(self: Sender, item: Queued) -> Any:
        steps.departed_at[item.chat_id] = time.time()
        return await call(self, item)

    Inbox.take = timed_take  # type: ignore[method-assign]
    Sender.release = timed_release  # type: ignore[method-assign]
    Sender._call = timed_call  # type: ignore[method-assign]
    try:
        yield steps
    finally:
        Inbox.take = take  # type: ignore[method-assign]
        Sender.release = release  # type: ignore[method-assign]
        Sender._call = call  # type: ignore[method-assign]
