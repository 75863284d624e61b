"""Paid broadcasts: the estimate shown before Send, its wording, and Telegram's refusal."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest

from domain.broadcast import PAID_RATE, PaidEstimate, lane_rate, paid_estimate
from outbox.judge import stars_ran_out
from views.broadcast import duration, stars


@pytest.mark.parametrize(
    ("recipients", "expected"),
    [
        pytest.param(0, PaidEstimate(0, 0, 0, 0), id="nobody"),
        pytest.param(1, PaidEstimate(1, 1, 1, 1), id="one-person"),
        pytest.param(300, PaidEstimate(300, 300, 12, 1), id="a-district"),
        pytest.param(3_000, PaidEstimate(3_000, 3_000, 120, 4), id="a-city"),
        pytest.param(100_000, PaidEstimate(100_000, 100_000, 4_000, 112), id="a-province"),
    ],
)
def test_estimate_from_recipients_and_paces(recipients: int, expected: PaidEstimate) -> None:
    assert paid_estimate(recipients, free_rate=25, paid_rate=PAID_RATE) == expected


def test_saved_time_is_the_difference() -> None:
    assert paid_estimate(3_000, free_rate=25).saved_seconds == 116


def test_the_estimate_counts_the_sends_awaiting_answers() -> None:
    """At 0.25 s a round trip the free pace of 25 holds, and the paid pace is held by the
    64 sends that may await answers at once (256 a second, not 900)."""
    assert lane_rate(25, 0.0) == 25
    assert lane_rate(25, 0.25, 64) == 25
    assert lane_rate(900, 0.25, 64) == 256
    far = paid_estimate(3_000, free_rate=25, round_trip=0.25, max_in_flight=64)
    assert (far.free_seconds, far.paid_seconds) == (120, 12)
    assert far.star_tenths == 3_000


@pytest.mark.parametrize(
    ("lang", "tenths", "shown"),
    [("id", 300, "30"), ("id", 123, "12,3"), ("en", 123, "12.3"), ("en", 1, "0.1")],
)
def test_stars_as_people_write_them(lang: str, tenths: int, shown: str) -> None:
    assert stars(lang, tenths) == shown


@pytest.mark.parametrize(
    ("lang", "seconds", "shown"),
    [
        ("id", 4, "4 detik"),
        ("id", 120, "2 menit"),
        ("id", 121, "3 menit"),
        ("id", 4_000, "1 jam 7 menit"),
        ("en", 45, "45 s"),
        ("en", 600, "10 min"),
    ],
)
def test_durations(lang: str, seconds: int, shown: str) -> None:
    assert duration(lang, seconds) == shown


@pytest.mark.parametrize(
    ("message", "out"),
    [
        ("Bad Request: BALANCE_TOO_LOW", True),
        ("Bad Request: not enough stars to send the message", True),
        ("Bad Request: chat not found", False),
    ],
)
def test_telegram_refusing_a_paid_send_for_lack_of_stars(message: str, out: bool) -> None:
    assert stars_ran_out(BadRequest(message)) is out
