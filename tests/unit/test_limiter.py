"""The one limiter: counted when a request leaves, reservations keep the picks within the cap."""

from __future__ import annotations

from domain.pacing import burst_for
from outbox.limiter import (
    FIRST_MARGIN,
    FLOOD_MODE_SECONDS,
    MAX_MARGIN,
    MIN_MARGIN,
    MIN_ROUND_TRIPS,
    PROBE_SECONDS,
    WIDEN,
    WIDEN_HALF_LIFE,
    Limiter,
)


def test_picks_never_exceed_the_window_even_before_anything_left() -> None:
    limiter = Limiter(rate=5)
    picked = 0
    while limiter.wait_time(picked + 1, proactive=True, now=0.0) == 0 and picked < 50:
        limiter.reserve(picked + 1, proactive=True, now=0.0)
        picked += 1
    assert picked == 5


def test_requests_are_counted_when_they_leave_not_when_picked() -> None:
    """Picked at t=0, the claims took until t=0.9: the second second's sends may not follow
    the first ones closer than Telegram's window allows."""
    limiter = Limiter(rate=4)
    assert burst_for(4) == 2  # at most two at once after a late wake-up, then spaced
    for chat in (1, 2, 3, 4):
        assert limiter.reserve(chat, proactive=True, now=0.0)
    limiter.depart(paced=True, now=0.9)
    limiter.depart(paced=True, now=0.9)
    assert limiter.departure_wait(0.9) > 0  # spaced by the rate, not all at once
    limiter.depart(paced=True, now=1.15)
    limiter.depart(paced=True, now=1.4)
    limiter.reserve(5, proactive=True, now=1.5)
    # Four left within the window that started at 0.9: the fifth waits until it slides past.
    assert abs(limiter.departure_wait(1.5) - (0.9 + 1 + FIRST_MARGIN - 1.5)) < 1e-9


def test_replies_go_at_once_until_a_429_then_are_paced() -> None:
    limiter = Limiter(rate=2)
    for chat in range(10):
        assert limiter.wait_time(chat, proactive=False, now=0.0) == 0
        assert not limiter.reserve(chat, proactive=False, now=0.0)
        limiter.depart(paced=False, now=0.0)
    limiter.flooded(3, 1.0, proactive=False, now=0.0)
    assert limiter.wait_time(4, proactive=False, now=0.5) > 0  # Telegram refuses all until then
    assert limiter.paced(proactive=False, now=2.0)  # and replies are paced for a while
    assert limiter.wait_time(3, proactive=True, now=0.5) >= 0.5


def test_a_proactive_429_pauses_the_bulk_lane_only() -> None:
    limiter = Limiter(rate=30)
    limiter.flooded(7, 3.0, proactive=True, now=10.0)
    assert limiter.wait_time(8, proactive=True, now=11.0) >= 2.0
    assert limiter.wait_time(8, proactive=False, now=11.0) == 0


def test_after_the_paced_while_replies_probe_and_a_429_there_doubles_the_while() -> None:
    """A 429 on a reply paces replies for a while; then they probe at twice the cap; a 429 in
    the probe paces them twice as long; a 429 long after a calm starts over."""
    limiter = Limiter(rate=2)
    limiter.flooded(1, 1.0, proactive=False, now=0.0)
    end = FLOOD_MODE_SECONDS
    assert limiter.paced(proactive=False, now=end - 1) and not limiter.probing(end - 1)
    assert limiter.probing(end + 1) and limiter.paced(proactive=False, now=end + 1)
    for chat in (10, 11, 12, 13):  # twice the cap in the probe's window
        assert limiter.wait_time(chat, proactive=False, now=end + 1) == 0
        assert limiter.reserve(chat, proactive=False, now=end + 1)
        assert limiter.departure_wait(end + 1, proactive=False) == 0
        limiter.depart(paced=True, now=end + 1)
    assert limiter.wait_time(14, proactive=False, now=end + 1) > 0
    assert not limiter.paced(proactive=False, now=end + PROBE_SECONDS + 0.1)  # unpaced again
    limiter.flooded(12, 1.0, proactive=False, now=end + 2)  # the probe met a 429
    assert limiter.replies_paced_until == end + 2 + 2 * FLOOD_MODE_SECONDS
    calm = limiter.replies_paced_until + PROBE_SECONDS + 600
    limiter.flooded(13, 1.0, proactive=False, now=calm)
    assert limiter.replies_paced_until == calm + FLOOD_MODE_SECONDS


def test_pace_replies_holds_replies_to_the_cap_from_the_start_and_after_a_429() -> None:
    limiter = Limiter(rate=5, pace_replies=True)
    assert limiter.paced(proactive=False, now=0.0)
    assert not limiter.probing(1_000.0)
    limiter.flooded(1, 1.0, proactive=False, now=2.0)
    assert limiter.paced(proactive=False, now=10_000.0)  # never lapses into unpaced replies


def test_the_window_outlasts_a_second_by_the_round_trips_spread() -> None:
    """Telegram counts arrivals: a request arrives early or late by at most the spread of the
    round trips, so that is the margin (`FIRST_MARGIN` before there are enough of them)."""
    limiter = Limiter(rate=30)
    assert limiter.window.span == 1 + FIRST_MARGIN
    for k in range(MIN_ROUND_TRIPS - 1):
        limiter.note_round_trip(0.010 + k * 0.001, now=1.0)
    assert limiter.window.span == 1 + FIRST_MARGIN  # too few to tell yet
    limiter.note_round_trip(0.017, now=1.0)  # round trips from 10 to 17 ms
    assert abs(limiter.window.span - 1.007) < 1e-9
    for _ in range(64):  # the old ones age out: a steady network, the smallest margin
        limiter.note_round_trip(0.012, now=2.0)
    assert limiter.window.span == 1 + MIN_MARGIN
    limiter.note_round_trip(0.9, now=3.0)  # a stalled answer: never wider than before
    assert limiter.window.span == 1 + FIRST_MARGIN
    # departures are held to the window as it is now
    for _ in range(30):
        limiter.depart(paced=False, now=10.0)
    assert abs(limiter.departure_wait(10.5) - (10.0 + 1 + FIRST_MARGIN - 10.5)) < 1e-9


def test_a_paced_calls_429_widens_the_margin_and_the_extra_fades() -> None:
    limiter = Limiter(rate=30)
    for _ in range(MIN_ROUND_TRIPS):
        limiter.note_round_trip(0.010, now=0.0)
    assert limiter.margin(0.0) == MIN_MARGIN
    limiter.flooded(7, 1.0, proactive=True, now=100.0)  # Telegram counted more than we did
    assert abs(limiter.window.span - (1 + MIN_MARGIN + WIDEN)) < 1e-9
    for chat in range(30):  # the calls in flight refused with it: the same refusal
        limiter.flooded(chat, 1.0, proactive=True, now=100.2)
    assert abs(limiter.window.span - (1 + MIN_MARGIN + WIDEN)) < 1e-9
    later = 100.0 + WIDEN_HALF_LIFE
    assert abs(limiter.margin(later) - (MIN_MARGIN + WIDEN / 2)) < 1e-9
    limiter.flooded(7, 1.0, proactive=True, now=later)  # the extra adds up
    assert abs(limiter.margin(later) - (MIN_MARGIN + WIDEN * 1.5)) < 1e-9
    for k in range(20):  # refusal after refusal: never past the ceiling
        limiter.flooded(7, 1.0, proactive=True, now=later + 2 * (k + 1))
    assert limiter.margin(later + 40) == MAX_MARGIN


def test_an_unpaced_or_probing_replys_429_leaves_the_margin_alone() -> None:
    """Replies go unpaced until Telegram's first 429, and probe at twice the cap after their
    paced while: those 429s say nothing about the margin."""
    limiter = Limiter(rate=2)
    for _ in range(MIN_ROUND_TRIPS):
        limiter.note_round_trip(0.010, now=0.0)
    limiter.flooded(1, 1.0, proactive=False, now=0.0)  # unpaced until now
    assert limiter.margin(0.0) == MIN_MARGIN
    probe = FLOOD_MODE_SECONDS + PROBE_SECONDS / 2
    assert limiter.probing(probe)
    limiter.flooded(1, 1.0, proactive=False, now=probe)
    assert limiter.margin(probe) == MIN_MARGIN
    paced = probe + 5.0  # the probe's 429 paced replies again, twice as long
    assert limiter.paced(proactive=False, now=paced) and not limiter.probing(paced)
    limiter.flooded(1, 1.0, proactive=False, now=paced)
    assert abs(limiter.margin(paced) - (MIN_MARGIN + WIDEN)) < 1e-9


def test_a_reply_429_for_a_chat_that_just_got_several_messages_holds_only_that_chat() -> None:
    """Telegram's per-chat limit (about one a second, short bursts) may be what refused it:
    that chat waits `retry_after`; other chats' replies go at once and stay unpaced, and the
    margin is not widened (the bulk window was not at fault)."""
    limiter = Limiter(rate=2)
    for moment in (0.0, 0.3, 0.6):
        assert not limiter.reserve(5, proactive=False, now=moment)
        limiter.depart(paced=False, now=moment)
    margin = limiter.margin(0.7)
    limiter.flooded(5, 3.0, proactive=False, now=0.7)
    assert limiter.chat_flood_count == 1
    assert limiter.wait_time(5, proactive=False, now=1.0) >= 2.5
    assert limiter.wait_time(6, proactive=False, now=1.0) == 0
    assert not limiter.paced(proactive=False, now=1.0)
    assert limiter.margin(1.0) == margin
    # Were it the bulk cap, the next reply to a quiet chat meets a 429 too: paced from there.
    assert not limiter.reserve(6, proactive=False, now=1.0)
    limiter.flooded(6, 1.0, proactive=False, now=1.1)
    assert limiter.paced(proactive=False, now=2.5)
    assert limiter.chat_flood_count == 1


def test_a_chat_is_busy_while_its_last_two_messages_are_recent() -> None:
    from domain.pacing import BUSY_GROUP_SECONDS, BUSY_PRIVATE_SECONDS, ChatPacer

    pacer = ChatPacer()
    pacer.note(5, 0.0)
    assert not pacer.busy(5, 0.5)  # one message is no burst
    pacer.note(5, 1.0)
    assert pacer.busy(5, 1.0) and pacer.busy(5, BUSY_PRIVATE_SECONDS - 0.1)
    assert not pacer.busy(5, BUSY_PRIVATE_SECONDS + 0.1)
    pacer.note(-100, 0.0)
    pacer.note(-100, 3.0)
    assert pacer.busy(-100, BUSY_GROUP_SECONDS - 1) and not pacer.busy(-100, BUSY_GROUP_SECONDS)


def test_while_replies_are_paced_or_probing_a_busy_chats_429_is_the_bulk_caps() -> None:
    """The probe's refusal says Telegram still holds replies: it doubles the paced while
    even when it fell on a chat that just got several messages."""
    limiter = Limiter(rate=2)
    limiter.flooded(1, 1.0, proactive=False, now=0.0)  # a quiet chat: replies paced
    end = FLOOD_MODE_SECONDS
    for moment in (end + 0.5, end + 1.0):  # the probe: one chat gets two replies
        limiter.reserve(9, proactive=False, now=moment)
        limiter.depart(paced=True, now=moment)
    limiter.flooded(9, 1.0, proactive=False, now=end + 1.2)
    assert limiter.chat_flood_count == 0
    assert limiter.replies_paced_until == end + 1.2 + 2 * FLOOD_MODE_SECONDS


def test_remembering_busy_chats_stays_bounded() -> None:
    """With tens of thousands of chats getting two messages a minute, the memory of the one
    before the last is pruned to the busy ones."""
    from domain.pacing import ChatPacer

    pacer = ChatPacer()
    now = 0.0
    for chat in range(60_000):
        now = chat * 0.004  # 250 chats a second, each twice
        pacer.note(chat, now)
        pacer.note(chat, now)
    assert len(pacer.previous) <= 20_000
    assert all(pacer.busy(c, now) or t <= now - 3.0 for c, t in pacer.previous.items())


def test_the_typical_round_trip_is_the_median_of_the_recent_ones() -> None:
    limiter = Limiter(rate=30)
    assert limiter.typical_round_trip() == 0.0
    for seconds in (0.2, 0.25, 0.3, 2.0, 0.22):
        limiter.note_round_trip(seconds, now=0.0)
    assert limiter.typical_round_trip() == 0.25
