"""A broadcast lane's pace holds at Telegram whatever happens between leaving and arriving."""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass

import pytest

from reminders.broadcast_lanes import BROADCAST_WINDOW_SPAN, MIN_ROUND_TRIPS, QUICKEST_ERROR, Lane
from tests.fakebot.helpers import peak_in_window

TICK = 0.001


@dataclass
class Network:
    """One way out and back (seconds): the quickest, plus up to `jitter`, and now and then
    (`slow_share`) a slow one of up to `slow` more; Telegram takes `work` to answer."""

    out: float = 0.01
    back: float = 0.01
    work: float = 0.005
    jitter: float = 0.005
    slow_share: float = 0.05
    slow: float = 0.3

    def leg(self, rng: random.Random, quickest: float) -> float:
        extra = rng.uniform(0, self.jitter)
        if rng.random() < self.slow_share:
            extra += rng.uniform(0, self.slow)
        return quickest + extra


def _simulate(
    lane: Lane, *, seconds: float, seed: int, stalls: bool, net: Network | None = None
) -> tuple[list[float], int]:
    """Drive `lane` as the worker does, on a simulated clock: picks and departures as soon as
    the lane allows, each request arriving at Telegram after its way out and answered after
    Telegram's work and the way back. With `stalls` the process now and then stops for up to
    0.3 s: the request that just left is sent only when it wakes (it reaches Telegram late),
    answers that came back meanwhile are read late, and then the lane catches up.
    Returns the arrival times at Telegram and the number of requests sent."""
    net = net or Network()
    rng = random.Random(seed)
    now, arrivals = 0.0, []
    answers: list[tuple[float, float]] = []  # (answer read at, left at)
    last_left: float | None = None
    while now < seconds:
        if stalls and rng.random() < 0.004:
            stall = rng.uniform(0.05, 0.3)
            if last_left is not None and now - last_left < 0.005:
                # caught between counting and sending: it goes out when the process wakes up
                arrivals[-1] += stall
                answers = [(at + stall if lt == last_left else at, lt) for at, lt in answers]
                heapq.heapify(answers)
            now += stall  # nothing runs meanwhile: answers are read late
        while answers and answers[0][0] <= now:
            _, left_at = heapq.heappop(answers)
            lane.answered(now, left_at)
        while lane.pick_wait(now) <= 0 and lane.departure_wait(now) <= 0:
            lane.pick(now)
            left_at = lane.left(now)
            arrival = left_at + net.leg(rng, net.out)
            answer = arrival + net.work + net.leg(rng, net.back)
            arrivals.append(arrival)
            heapq.heappush(answers, (answer, left_at))
            last_left = left_at
        now += TICK
    return sorted(arrivals), len(arrivals)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("stalls", [False, True])
@pytest.mark.parametrize(
    "net",
    [Network(), Network(out=0.12, back=0.12, work=0.02)],
    ids=["near", "far"],
)
def test_no_second_at_telegram_holds_more_than_the_pace(
    seed: int, stalls: bool, net: Network
) -> None:
    """Near (a few ms) and far (a quarter-second round trip, from Indonesia), with slow
    requests and process stalls: counted where Telegram counts, no second over 25."""
    lane = Lane(25.0)
    arrivals, sent = _simulate(lane, seconds=8.0, seed=seed, stalls=stalls, net=net)
    assert sent > 100
    assert peak_in_window(arrivals, BROADCAST_WINDOW_SPAN) <= 25


@pytest.mark.parametrize(
    "net",
    [Network(slow_share=0), Network(out=0.12, back=0.12, work=0.02, slow_share=0)],
    ids=["near", "far"],
)
def test_on_a_steady_network_the_lane_keeps_its_pace_whatever_the_round_trip(
    net: Network,
) -> None:
    """Only the spread of round trips costs pace, not their length: about 25 a second at a
    few ms and at a quarter of a second alike (counting until each answer gave 20 there)."""
    lane = Lane(25.0)
    _, sent = _simulate(lane, seconds=10.0, seed=1, stalls=False, net=net)
    assert 23.5 <= sent / 10.0 <= 25.5, sent / 10.0


def test_until_enough_answers_a_send_counts_until_a_second_after_its_answer() -> None:
    lane = Lane(2.0)
    left_at = lane.left(0.0)
    lane.answered(0.5, left_at)  # 0.5 s round trip, nothing to compare it with yet
    assert list(lane.window.times) == [0.5]
    for n in range(MIN_ROUND_TRIPS):
        lane.answered(1.0 + n + 0.1, lane.left(1.0 + n))
    slow = lane.left(20.0)
    lane.answered(20.9, slow)  # 0.8 s longer than the quickest: it may have arrived that late
    assert lane.window.times[-1] == pytest.approx(20.8 + QUICKEST_ERROR)


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
