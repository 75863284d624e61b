"""Quick filing: one line in, one reply out (the receipt, or what was wrong and an example)."""

from __future__ import annotations

import logging

from telegram import Update

from domain.checkins.kinds import Kind, Source
from domain.checkins.quick import parse_quick
from domain.checkins.records import Filed, TpsInfo, quick_dedupe_key
from domain.checkins.rules import MAX_PHOTOS, Problem
from domain.outbox import Outgoing
from domain.people import Member
from domain.rehearsal import EventKind
from domain.roles import Role
from handlers.checkins.album import photo_ids
from handlers.checkins.service import after_filed, scope_refusal, store
from handlers.common import reply, where
from handlers.context import DeskContext
from outbox import messages
from storage import regions, rehearsals
from views import checkins as render
from views.texts import text

log = logging.getLogger(__name__)
# From the shipped KPU list (Kec. Kramatwatu, Kab. Serang), when a district has no TPS loaded.
EXAMPLE_TPS = "3604052001-001"


async def example_tps(context: DeskContext, member: Member) -> str:
    """A TPS id a camat can copy: the first of their own district."""
    async with context.services.transaction() as session:
        found = await regions.first_tps(session, member.scope)
    return found or EXAMPLE_TPS


async def file_line(update: Update, context: DeskContext, member: Member, line: str) -> None:
    """Parse, check scope, store, answer: exactly one reply whatever happens."""
    message = update.message
    assert message is not None
    lang, election = member.language, context.services.election
    prefix = await example_tps(context, member) if member.role is Role.CAMAT else ""
    try:
        parsed = parse_quick(line, election=election)
    except Problem as problem:
        async with context.services.transaction() as session:
            # During a rehearsal the line is kept for its report (who needed help).
            await rehearsals.record_event(
                session,
                person_id=member.id,
                kind=EventKind.FAILED_LINE,
                detail=line,
                now=context.now(),
            )
        await reply(update, render.quick_problem(lang, problem, tps_prefix=prefix))
        return
    tps_id = parsed.tps or (member.scope if member.role is Role.TPS else None)
    if tps_id is None:
        example = f"{prefix} {line.strip()}"[:80]
        await reply(update, text(lang, "checkin.camat_needs_tps", example=example))
        return
    refusal = scope_refusal(member, tps_id)
    if refusal is not None:
        await reply(
            update, text(lang, refusal, tps=member.scope if member.role is Role.TPS else tps_id)
        )
        return
    report = parsed.report
    photos = photo_ids(message)
    if photos and parsed.kind in (Kind.BANJIR, Kind.KEJADIAN):
        report = report.model_copy(update={"photos": photos[:MAX_PHOTOS]})
    target = where(update)
    chat_id = target.pop("chat_id")

    def receipt(filed: Filed, tps: TpsInfo) -> list[Outgoing]:
        body = render.receipt(
            lang, filed, tps_label=tps.label, province_code=tps.province_code, election=election
        )
        return messages.text_message(chat_id, body, **target)

    stored = await store(
        context,
        member=member,
        tps_id=tps_id,
        kind=parsed.kind,
        report=report,
        source=Source.QUICK,
        sent_at=message.date,
        dedupe_key=quick_dedupe_key(message.chat_id, message.message_id),
        answer=receipt,
    )
    if stored is None:
        await reply(update, text(lang, "checkin.unknown_tps", tps=tps_id))
        return
    if stored.filed.duplicate:
        log.info("quick line %s of %s delivered again", message.message_id, member.telegram_id)
    after_filed(context, stored.filed)
