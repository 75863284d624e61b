"""A broadcast lane's pace holds at Telegram whatever happens between leaving and arriving."""

from __future__ import annotations

import heapq
import random

import pytest

from reminders.broadcast_lanes import BROADCAST_WINDOW_SPAN, Lane

TICK = 0.001


def _simulate(lane: Lane, *, seconds: float, seed: int, stalls: bool) -> list[tuple[float, float]]:
    """Drive `lane` as the worker does, on a simulated clock: picks and departures as soon as
    the lane allows, answers after a random round trip (now and then a slow one), and (with
    `stalls`) the process stopping for up to 0.3 s, after which everything due runs late.
    Returns (left, answered) for every request, in order of leaving."""
    rng = random.Random(seed)
    now, sends = 0.0, []
    answers: list[tuple[float, int]] = []  # (due, index)
    while now < seconds:
        if stalls and rng.random() < 0.004:
            now += rng.uniform(0.05, 0.3)  # nothing runs meanwhile: answers are noted late
        while answers and answers[0][0] <= now:
            _, index = heapq.heappop(answers)
            lane.answered(now)
            sends[index] = (sends[index][0], now)
        while lane.pick_wait(now) <= 0 and lane.departure_wait(now) <= 0:
            lane.pick(now)
            lane.left(now)
            slow = rng.random() < 0.05
            rtt = rng.uniform(0.1, 0.4) if slow else rng.uniform(0.002, 0.03)
            sends.append((now, float("inf")))
            heapq.heappush(answers, (now + rtt, len(sends) - 1))
        now += TICK
    return [s for s in sends if s[1] != float("inf")]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("stalls", [False, True])
def test_no_second_at_telegram_can_hold_more_than_the_pace(seed: int, stalls: bool) -> None:
    """Telegram counts a request somewhere between its leaving and its answer. For every
    request, the earlier ones that may share a second with it (answered less than a second
    before it left, or not answered yet) are at most rate - 1: so no choice of arrival times
    puts more than `rate` in one second."""
    lane = Lane(25.0)
    sends = _simulate(lane, seconds=8.0, seed=seed, stalls=stalls)
    assert len(sends) > 100
    for j, (left_j, _) in enumerate(sends):
        sharing = sum(1 for left_k, answered_k in sends[:j] if answered_k > left_j - 1.0)
        assert sharing <= 24, (j, sharing)
    assert BROADCAST_WINDOW_SPAN == 1.0


def test_on_a_quick_network_the_lane_keeps_its_rate() -> None:
    """Counting until a second after the answer costs only the round trip: about 25 in
    each 1.0 s + round trip, never a stall waiting for answers that came back."""
    lane = Lane(25.0)
    sends = _simulate(lane, seconds=10.0, seed=1, stalls=False)
    rate = len(sends) / 10.0
    assert 22.0 <= rate <= 25.5, rate


def test_a_send_withdrawn_from_a_lane_frees_its_place() -> None:
    """A paid send moved to the free lane before it went out holds no place in the paid one."""
    lane = Lane(2.0)
    for _ in range(2):
        lane.pick(0.0)
        lane.left(0.0)
    assert lane.departure_wait(0.0) > 0
    lane.withdrawn()
    lane.withdrawn()
    assert lane.departure_wait(lane.next_departure) == 0.0
