"""Calls waiting after a passing fault go once Telegram answers again; a 429's wait stays."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from outbox.recovery import PROBE_EVERY, Recovery


@dataclass
class Call:
    id: int


def test_only_calls_waiting_after_a_passing_fault_are_brought_forward() -> None:
    recovery = Recovery()
    later: list[tuple[float, int, Call]] = []
    for seq, (ready, call_id, passing) in enumerate(
        [(30.0, 1, True), (12.0, 2, False), (16.0, 3, True), (0.5, 4, True)]
    ):
        heapq.heappush(later, (ready, seq, Call(call_id)))
        recovery.note(call_id, passing_fault=passing)  # 2 waits for a 429's retry_after
    assert recovery.pull_forward(later, earliest=1.0) == 2  # 1 and 3; 4 is due sooner anyway
    assert sorted((ready, call.id) for ready, _, call in later) == [
        (0.5, 4),
        (1.0, 1),
        (1.0, 3),
        (12.0, 2),
    ]
    assert heapq.heappop(later)[2].id == 4  # still a heap
    assert recovery.pulled == 2 and 2 not in recovery.faulted


def test_telegram_is_probed_only_while_a_call_would_wait_long_and_not_too_often() -> None:
    recovery = Recovery()
    later = [(3.0, 0, Call(1))]
    assert not recovery.wants_probe(later, now=0.0)  # nothing failed for a passing reason
    recovery.note(1, passing_fault=True)
    assert not recovery.wants_probe(later, now=2.0)  # due within PROBE_EVERY anyway
    later = [(30.0, 0, Call(1))]
    assert recovery.wants_probe(later, now=2.0)
    recovery.probed_at = 2.0
    assert not recovery.wants_probe(later, now=2.0 + PROBE_EVERY / 2)
    assert recovery.wants_probe(later, now=2.0 + PROBE_EVERY)
    recovery.done(1)
    assert not recovery.wants_probe(later, now=10.0)
