"""A forum topic closed or deleted: the call goes to General instead (outbox.judge)."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest

from outbox.judge import Fate, judge


@pytest.mark.parametrize(
    "message", ["Bad Request: TOPIC_CLOSED", "Message thread not found", "TOPIC_DELETED"]
)
def test_a_closed_or_deleted_topic_means_no_topic(message: str) -> None:
    verdict = judge(BadRequest(message), 1)
    assert verdict.fate is Fate.NO_TOPIC and verdict.error


def test_other_refusals_stay_failed() -> None:
    assert judge(BadRequest("Bad Request: message text is empty"), 1).fate is Fate.FAILED
    assert judge(BadRequest("Message is not modified"), 1).fate is Fate.DONE
