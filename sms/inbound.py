"""One stored SMS in, at most one SMS out: file it as a check-in, answer, or ignore it.

The rules, in order (each ends the processing):
1. only a full phone number is ever answered: operator notices (alphanumeric senders), short
   codes and the desk's own number are ignored (`domain.phone.classify_sender`);
2. the same text from the same number more than `repeat_limit` times within `repeat_window`
   is ignored (a phone stuck resending, or an auto-responder);
3. no number gets more than `answers_per_hour` SMS from the desk;
4. an unregistered number gets one short answer a day, then silence;
5. a registered filer's line is parsed with the Telegram quick grammar
   (`domain.checkins.quick.parse_quick`), checked for scope like a Telegram line, and stored
   through `storage.filing.store_checkin` with the source `sms` (versions, relay, dedupe);
   the answer is one receipt, or one SMS saying what was wrong.
The SMS's own time (`receivedAt`) is the check-in's `sent_at` and its arrival at the bot the
`received_at`, so a report that waited in an outage is marked late as on Telegram.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.checkins.kinds import Source
from domain.checkins.quick import parse_quick
from domain.checkins.records import Filed
from domain.checkins.rules import Problem
from domain.checkins.scope import FILERS, scope_refusal
from domain.people import Member
from domain.phone import SenderKind, classify_sender, try_normalise
from domain.rehearsal import EventKind
from domain.roles import Role
from sms import texts
from sms.options import Clock, SmsHooks, SmsOptions
from storage import rehearsals
from storage import sms as repo
from storage import sms_queue as queue
from storage.filing import store_checkin
from storage.models.sms import InboundStatus

log = logging.getLogger(__name__)


class Purpose:
    RECEIPT = "receipt"
    PROBLEM = "problem"
    UNKNOWN = "unknown"
    REMINDER = "reminder"


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    purpose: str


@dataclass
class Outcome:
    status: InboundStatus
    reason: str
    answer: Answer | None = None
    checkin_id: int | None = None
    person_id: int | None = None
    new_checkin: bool = False
    filed: Filed | None = None  # the check-in stored (or found stored before)


class InboundProcessor:
    """Processes stored SMS one at a time (the caller serialises), exactly once each."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        options: SmsOptions,
        hooks: SmsHooks,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._options = options
        self._hooks = hooks
        self._clock = clock

    def _now(self) -> datetime:
        return self._clock()

    async def process(self, inbound_id: int) -> Outcome | None:
        """Decide, store the outcome and queue the answer; None if already processed."""
        async with self._sessions() as session:
            sms = await repo.inbound(session, inbound_id)
        if sms is None or sms.status != InboundStatus.NEW.value:
            return None
        outcome = await self._decide(sms)
        now = self._now()
        async with self._sessions() as session, session.begin():
            await repo.finish_inbound(
                session,
                inbound_id,
                status=outcome.status,
                outcome=outcome.reason,
                now=now,
                checkin_id=outcome.checkin_id,
                person_id=outcome.person_id,
            )
            if outcome.answer is not None and sms.phone is not None:
                await queue.enqueue(
                    session,
                    key=f"in:{inbound_id}",
                    phone=sms.phone,
                    text=outcome.answer.text,
                    purpose=outcome.answer.purpose,
                    now=now,
                    ttl=self._options.receipt_ttl,
                )
        log.info("sms %s: %s (%s)", inbound_id, outcome.status.value, outcome.reason)
        if outcome.new_checkin and outcome.filed and self._hooks.on_filed is not None:
            try:
                await self._hooks.on_filed(outcome.filed)
            except Exception:
                log.exception("check-in listener failed for SMS check-in %s", outcome.checkin_id)
        return outcome

    async def _decide(self, sms: repo.Inbound) -> Outcome:
        options, now = self._options, self._now()
        kind = classify_sender(sms.sender, own_numbers=options.own_numbers)
        phone = try_normalise(sms.sender) if kind is SenderKind.NUMBER else None
        if phone is None:
            return Outcome(InboundStatus.IGNORED, kind.value)
        async with self._sessions() as session:
            repeats = await repo.same_text_since(
                session, phone, sms.text, now - options.repeat_window, before_id=sms.id
            )
            answered = await queue.answers_since(session, phone, now - timedelta(hours=1))
            member = await repo.member_by_phone(session, phone)
            unknown_today = await queue.answers_since(
                session, phone, now - timedelta(days=1), purpose=Purpose.UNKNOWN
            )
        if repeats >= options.repeat_limit:
            return Outcome(InboundStatus.IGNORED, "repeated")
        may_answer = answered < options.answers_per_hour
        if member is None or member.role not in FILERS:
            status = InboundStatus.UNKNOWN if member is None else InboundStatus.REJECTED
            key = "unknown_number" if member is None else "not_a_filer"
            if not may_answer or unknown_today >= options.unknown_answers_per_day:
                return Outcome(status, "unknown, answered already")
            lang = member.language if member else "id"
            answer = Answer(texts.sms_text(lang, key), Purpose.UNKNOWN)
            return Outcome(status, key, answer, person_id=member.id if member else None)
        outcome = await self._file(sms, member)
        if not may_answer:
            outcome.answer = None
            outcome.reason = f"{outcome.reason}, not answered (hourly cap)"[:40]
        return outcome

    async def _file(self, sms: repo.Inbound, member: Member) -> Outcome:
        lang, camat = member.language, member.role is Role.CAMAT

        def refused(problem: Problem) -> Outcome:
            answer = Answer(texts.problem(lang, problem, camat=camat), Purpose.PROBLEM)
            return Outcome(InboundStatus.REJECTED, problem.code, answer, person_id=member.id)

        try:
            parsed = parse_quick(sms.text, election=self._options.election)
        except Problem as problem:
            async with self._sessions.begin() as session:
                # During a rehearsal the line is kept for its report (who needed help).
                await rehearsals.record_event(
                    session,
                    person_id=member.id,
                    kind=EventKind.FAILED_LINE,
                    detail=sms.text,
                    now=self._now(),
                )
            return refused(problem)
        tps_id = parsed.tps or (member.scope if member.role is Role.TPS else None)
        if tps_id is None:
            return refused(Problem("needs_tps", "", {"kind": parsed.kind.value}))
        reason = scope_refusal(member, tps_id)
        if reason is not None:
            shown = member.scope if member.role is Role.TPS else tps_id
            return refused(Problem(reason, "", {"tps": shown, "kind": parsed.kind.value}))
        stored = await store_checkin(
            self._sessions,
            member=member,
            tps_id=tps_id,
            kind=parsed.kind,
            report=parsed.report,
            source=Source.SMS,
            sent_at=min(sms.received_at, sms.arrived_at),  # a phone clock ahead is not "early"
            received_at=sms.arrived_at,
            dedupe_key=f"sms:{sms.id}",
        )
        if stored is None:
            return refused(Problem("unknown_tps", "", {"tps": tps_id, "kind": parsed.kind.value}))
        filed, tps = stored
        answer = Answer(texts.receipt(lang, filed, province_code=tps.province_code), "receipt")
        return Outcome(
            InboundStatus.FILED,
            f"{filed.kind.value} v{filed.version}",
            answer,
            checkin_id=filed.id,
            person_id=member.id,
            new_checkin=not filed.duplicate,
            filed=filed,
        )
