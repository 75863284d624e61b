"""The one limiter: counted when a request leaves, reservations keep the picks within the cap."""

from __future__ import annotations

from outbox.limiter import WINDOW_SPAN, Limiter


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
    limiter = Limiter(rate=2)
    for chat in (1, 2):
        assert limiter.reserve(chat, proactive=True, now=0.0)
    limiter.depart(paced=True, now=0.9)
    assert limiter.departure_wait(0.9) > 0  # spaced by the rate, not all at once
    limiter.depart(paced=True, now=1.4)
    limiter.reserve(3, proactive=True, now=1.5)
    # Two left within the window that started at 0.9: the third waits until it slides past.
    assert abs(limiter.departure_wait(1.5) - (0.9 + WINDOW_SPAN - 1.5)) < 1e-9


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
