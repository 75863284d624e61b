"""Update queue with Telegram-like getUpdates semantics (offsets, long polling)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
# Telegram's default when allowed_updates was never given (or given as []).
NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def update_type(update: dict[str, Any]) -> str | None:
    return next((key for key in update if key != "update_id"), None)


@dataclass
class QueuedUpdate:
    update: dict[str, Any]
    forced: bool = False  # push_duplicate: deliver once even if already confirmed
    delivered: bool = False

    @property
    def update_id(self) -> int:
        value = self.update.get("update_id")
        return value if isinstance(value, int) else 0


@dataclass(eq=False)
class _Waiter:
    event: asyncio.Event = field(default_factory=asyncio.Event)
    terminated: bool = False
    interrupted: bool = False


class PollTerminated(Exception):
    """Raised in a pending getUpdates call that another getUpdates call replaced."""


class UpdateQueue:
    def __init__(self, first_update_id: int = 1) -> None:
        self.next_update_id = first_update_id
        self.entries: list[QueuedUpdate] = []
        self.allowed_updates: frozenset[str] | None = None
        self.fetch_count = 0
        self._active: _Waiter | None = None
        self._waiters: set[_Waiter] = set()
        self._closing = False
        self.on_push: Callable[[dict[str, Any]], None] | None = None

    # -- producer side -------------------------------------------------------
    def push(self, update: dict[str, Any], *, forced: bool = False) -> dict[str, Any]:
        if not forced and "update_id" not in update:
            update = {"update_id": self.next_update_id, **update}
        uid = update.get("update_id")
        if isinstance(uid, int) and uid >= self.next_update_id:
            self.next_update_id = uid + 1
        self.entries.append(QueuedUpdate(update=update, forced=forced))
        if self.on_push is not None:
            self.on_push(update)
        self._wake()
        return update

    def _wake(self) -> None:
        for waiter in self._waiters:
            waiter.event.set()

    def close(self) -> None:
        self._closing = True
        self._wake()

    def reopen(self) -> None:
        self._closing = False

    def terminate_active(self) -> None:
        if self._active is not None:
            self._active.terminated = True
            self._active.event.set()
            self._active = None

    def interrupt(self) -> None:
        """End the pending long poll now with what is there (an outage began)."""
        if self._active is not None:
            self._active.interrupted = True
            self._active.event.set()

    # -- consumer side -------------------------------------------------------
    def confirm(self, offset: int) -> None:
        if offset < 0:
            keep = self.entries[offset:] if -offset <= len(self.entries) else self.entries
            self.entries = list(keep)
            return
        self.entries = [
            e for e in self.entries if e.update_id >= offset or (e.forced and not e.delivered)
        ]

    def _allowed(self, entry: QueuedUpdate) -> bool:
        kind = update_type(entry.update)
        if kind is None:
            return True
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in NOT_DELIVERED_BY_DEFAULT

    def select(self, limit: int) -> list[dict[str, Any]]:
        # Telegram never stores updates of types the bot did not ask for.
        self.entries = [e for e in self.entries if self._allowed(e)]
        batch = self.entries[:limit]
        for entry in batch:
            entry.delivered = True
        ordered = sorted(batch, key=lambda e: e.update_id)
        return [entry.update for entry in ordered]

    def pending(self) -> list[dict[str, Any]]:
        return [e.update for e in self.entries]

    def remove(self, update: dict[str, Any]) -> None:
        """Drop one queued entry: the same object, else the same update_id."""
        for match in (
            lambda e: e.update is update,
            lambda e: e.update.get("update_id") == update.get("update_id"),
        ):
            for index, entry in enumerate(self.entries):
                if match(entry):
                    del self.entries[index]
                    return

    def clear(self) -> None:
        self.entries.clear()

    @property
    def polling(self) -> bool:
        return self._active is not None

    async def get_updates(
        self,
        *,
        offset: int | None,
        limit: int,
        wait_seconds: float,
        allowed_updates: list[str] | None,
    ) -> list[dict[str, Any]]:
        """Answer one getUpdates call; raise PollTerminated if replaced by a newer call."""
        # Real Telegram answers the *older* pending request with 409 Conflict.
        self.terminate_active()
        me = _Waiter()
        self._active = me
        self._waiters.add(me)
        self.fetch_count += 1
        try:
            if allowed_updates is not None:
                self.allowed_updates = frozenset(allowed_updates) or None
            if offset is not None:
                self.confirm(offset)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + max(0.0, wait_seconds)
            while True:
                me.event.clear()
                batch = self.select(limit)
                if batch or self._closing:
                    return batch
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                try:
                    await asyncio.wait_for(me.event.wait(), remaining)
                except TimeoutError:
                    return []
                if me.terminated:
                    raise PollTerminated(CONFLICT_OTHER_POLL)
                if me.interrupted:
                    return []
        finally:
            self._waiters.discard(me)
            if self._active is me:
                self._active = None
