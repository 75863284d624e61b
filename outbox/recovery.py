"""Sending again as soon as Telegram is back, not at the next step of the back-off.

A call refused for a passing reason (a network error before the request left, a 5xx:
`outbox.judge.Fate.RETRY`) waits 2, 4, 8, 16, then 30 s between tries. After an outage that
meant a receipt came up to 30 s after Telegram was back. `Recovery` keeps which waiting calls
wait for that reason; as soon as Telegram is known to answer again — one of the sender's calls
succeeded, or a probe (`getMe`, every `PROBE_EVERY` s while such a call still has longer than
that to wait) was answered — they go at once. Calls waiting for a 429's `retry_after` are never
pulled forward: Telegram asked for that wait.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import Any

PROBE_EVERY = 2.0  # seconds between probes while calls wait after a passing fault
PROBE_TIMEOUT = 5.0  # seconds a probe may take


class Recovery:
    """The ids of calls waiting after a passing fault, and when Telegram was last probed
    (monotonic seconds). The waiting calls themselves stay in the sender's heap of
    `(ready at, seq, call)`, which `pull_forward` rewrites."""

    def __init__(self) -> None:
        self.faulted: set[int] = set()
        self.probed_at = float("-inf")
        self.pulled = 0  # calls sent early because Telegram was back (for /metrics and tests)

    def note(self, call_id: int, *, passing_fault: bool) -> None:
        """A call failed: it waits after a passing fault, or for another reason (a 429)."""
        if passing_fault:
            self.faulted.add(call_id)
        else:
            self.faulted.discard(call_id)

    def done(self, call_id: int) -> None:
        """The call waits no more (sent, or given up)."""
        self.faulted.discard(call_id)

    def wants_probe(self, later: Iterable[tuple[float, int, Any]], now: float) -> bool:
        """Whether to ask Telegram now: a call waits after a passing fault for longer than
        `PROBE_EVERY` more seconds, and the last probe is that long ago."""
        if not self.faulted or now - self.probed_at < PROBE_EVERY:
            return False
        return any(
            item.id in self.faulted and ready - now > PROBE_EVERY for ready, _, item in later
        )

    def pull_forward(self, later: list[tuple[float, int, Any]], earliest: float) -> int:
        """Telegram answers again: every call waiting after a passing fault is due at
        `earliest` (not before: its last outcome must be written first). Rewrites the heap
        `later` in place; returns how many calls were brought forward."""
        moved = 0
        for index, (ready, seq, item) in enumerate(later):
            if item.id in self.faulted and ready > earliest:
                later[index] = (earliest, seq, item)
                moved += 1
        if moved:
            heapq.heapify(later)
            self.pulled += moved
        self.faulted.difference_update(item.id for _, _, item in later if item.id in self.faulted)
        return moved
