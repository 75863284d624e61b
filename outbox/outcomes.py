"""What becomes of an outbox row after a call: what the caller waiting for it is told, and
what a refusal means for the row (the outcome to record, and when to try again)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.outbox import OutStatus
from outbox.judge import Fate, Verdict
from storage.outbox import Outcome, Queued

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Result:
    """What became of a call by the time the caller stopped waiting."""

    status: OutStatus
    message_id: int | None = None
    result: Any = None

    @property
    def sent(self) -> bool:
        return self.status is OutStatus.SENT


def outcome_of(item: Queued, verdict: Verdict, *, now: datetime) -> tuple[Outcome, float | None]:
    """The outcome to record for a refused call and in how many seconds to try it again
    (None: never). `now` is the services' clock (for `not_before`)."""
    fate = verdict.fate
    if fate is Fate.FLOOD:
        log.info("429 for chat %s: again in %.0f s", item.chat_id, verdict.pause)
        when = now + timedelta(seconds=verdict.pause)
        outcome = Outcome(
            item.id, OutStatus.PENDING, error="429", not_before=when, undo_attempt=True
        )
        return outcome, verdict.pause
    if fate is Fate.RETRY and verdict.retry_in is not None:
        log.info("chat %s: %s; again in %.0f s", item.chat_id, verdict.error, verdict.retry_in)
        when = now + timedelta(seconds=verdict.retry_in)
        return (
            Outcome(item.id, OutStatus.PENDING, error=verdict.error, not_before=when),
            verdict.retry_in,
        )
    if fate is Fate.MOVED and verdict.new_chat_id is not None:
        log.info("chat %s became supergroup %s; sending there", item.chat_id, verdict.new_chat_id)
        outcome = Outcome(
            item.id,
            OutStatus.PENDING,
            error="moved",
            chat_id=verdict.new_chat_id,
            undo_attempt=True,
        )
        return outcome, 0.0
    if fate is Fate.NO_TOPIC and "message_thread_id" in item.params:
        log.warning(
            "chat %s: topic %s refused (%s); sending to General instead",
            item.chat_id,
            item.params["message_thread_id"],
            verdict.error,
        )
        outcome = Outcome(
            item.id, OutStatus.PENDING, error=verdict.error, drop_thread=True, undo_attempt=True
        )
        return outcome, 0.0
    if fate is Fate.DONE:
        return Outcome(item.id, OutStatus.SENT), None
    if fate is Fate.UNREACHABLE:
        log.info("chat %s is unreachable: %s", item.chat_id, verdict.error)
        return Outcome(item.id, OutStatus.UNREACHABLE, error=verdict.error), None
    status = OutStatus.UNCERTAIN if fate is Fate.UNCERTAIN else OutStatus.FAILED
    log.warning("%s to chat %s: %s (%s)", item.method, item.chat_id, status, verdict.error)
    return Outcome(item.id, status, error=verdict.error), None
