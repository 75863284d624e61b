"""What each refusal of Telegram means for a call (outbox.judge)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from outbox.judge import Fate, judge


def _network(cause: Exception | None) -> NetworkError:
    error = NetworkError("boom")
    error.__cause__ = cause
    return error


def _timed_out(cause: Exception) -> TimedOut:
    error = TimedOut()
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "fate"),
    [
        pytest.param(RetryAfter(timedelta(seconds=3)), Fate.FLOOD, id="429"),
        pytest.param(ChatMigrated(-100123), Fate.MOVED, id="group-upgraded"),
        pytest.param(
            Forbidden("Forbidden: bot was blocked by the user"), Fate.UNREACHABLE, id="403"
        ),
        pytest.param(BadRequest("Chat not found"), Fate.UNREACHABLE, id="never-opened"),
        pytest.param(
            BadRequest("Message is not modified: specified new"), Fate.DONE, id="same-edit"
        ),
        pytest.param(BadRequest("Can't parse entities"), Fate.FAILED, id="bad-html"),
        pytest.param(NetworkError("Bad Gateway"), Fate.RETRY, id="5xx"),
        pytest.param(_network(httpx.ConnectError("refused")), Fate.RETRY, id="not-connected"),
        pytest.param(_network(httpx.ReadTimeout("slow")), Fate.UNCERTAIN, id="answer-lost"),
        pytest.param(_timed_out(httpx.PoolTimeout("busy")), Fate.RETRY, id="pool-timeout"),
        pytest.param(_timed_out(httpx.ReadTimeout("slow")), Fate.UNCERTAIN, id="read-timeout"),
    ],
)
def test_each_refusal_has_its_fate(error: Exception, fate: Fate) -> None:
    assert judge(error, 1).fate is fate


def test_a_429_waits_what_telegram_asks_and_at_least_a_second() -> None:
    assert judge(RetryAfter(timedelta(seconds=7)), 1).pause == 7
    assert judge(RetryAfter(timedelta(seconds=0)), 1).pause == 1


def test_network_failures_back_off_and_give_up_only_when_asked() -> None:
    delays = [
        judge(NetworkError("Bad Gateway"), n, give_up_after=None, cap=30).retry_in
        for n in range(1, 8)
    ]
    assert delays == [2, 4, 8, 16, 30, 30, 30]
    assert judge(NetworkError("Bad Gateway"), 6).fate is Fate.FAILED
    assert judge(NetworkError("Bad Gateway"), 60, give_up_after=None).fate is Fate.RETRY
