"""What guided and quick filing share: scope checks, storing with retry, the one message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from telegram import InlineKeyboardMarkup
from telegram.error import TelegramError

from domain.checkins.kinds import Kind, Source
from domain.checkins.records import Draft, Filed, TpsInfo
from domain.checkins.reports import Report, payload_of
from domain.outbox import Outgoing, OutStatus
from domain.people import Member
from domain.regions import contains
from domain.roles import Role
from handlers.common import answer_key
from handlers.context import CheckinListener, DeskContext
from outbox import inbox, messages
from outbox.sender import Result
from storage import checkins, conversations, counters

log = logging.getLogger(__name__)

FILERS = (Role.TPS, Role.CAMAT)
STORE_ATTEMPTS = 3


def scope_refusal(member: Member, tps_id: str) -> str | None:
    """The text key saying why this person may not file for this TPS, or None if they may."""
    if member.role is Role.TPS:
        return None if tps_id == member.scope else "checkin.not_your_tps"
    if member.role is Role.CAMAT:
        return None if contains(member.scope, tps_id) else "checkin.outside_district"
    return "checkin.not_for_role"


def draft_allowed(member: Member, draft: Draft) -> bool:
    """Re-checked on every step: the person may have changed role since the draft began."""
    if member.role not in FILERS or draft.relayed != (member.role is Role.CAMAT):
        return False
    if draft.tps_id is None:
        return member.role is Role.CAMAT
    return scope_refusal(member, draft.tps_id) is None


Answer = Callable[[Filed, TpsInfo], list[Outgoing]]


@dataclass(frozen=True, slots=True)
class Stored:
    """A check-in stored, its TPS, and what became of its receipt so far (empty when the
    check-in had been stored before: its receipt was queued then)."""

    filed: Filed
    tps: TpsInfo
    receipt: list[Result]


async def store(
    context: DeskContext,
    *,
    member: Member,
    tps_id: str,
    kind: Kind,
    report: Report,
    source: Source,
    sent_at: datetime,
    dedupe_key: str,
    answer: Answer,
    finished_draft: int | None = None,
) -> Stored | None:
    """Store one check-in, drop the finished draft and queue its receipt (`answer`), all in one
    transaction, then send the receipt; None if there is no such TPS.

    The receipt is keyed `receipt:<check-in id>`: a check-in delivered twice gets one receipt.
    A concurrent filing for the same TPS and kind takes the same version number; the loser
    retries with the next one.
    """
    sender = context.services.out
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            async with context.services.transaction() as session:
                tps = await checkins.tps_info(session, tps_id)
                if tps is None:
                    return None
                filed = await checkins.file_checkin(
                    session,
                    tps=tps,
                    kind=kind,
                    severity=report.severity(),
                    payload=payload_of(report),
                    source=source,
                    filed_by=member.id,
                    filed_by_name=member.name,
                    relayed=member.role is Role.CAMAT,
                    sent_at=sent_at,
                    received_at=context.now(),
                    dedupe_key=dedupe_key,
                )
                if finished_draft is not None:
                    await conversations.drop(session, finished_draft)
                calls = answer(filed, tps)
                for index, call in enumerate(calls):
                    call.key = f"receipt:{filed.id}" + (f"#{index}" if index else "")
                queued = await sender.queue(session, calls)
            if not filed.duplicate and filed.rehearsal_id is None:
                counters.checkin_stored()  # practice is not counted
            break
        except IntegrityError:
            if attempt == STORE_ATTEMPTS:
                raise
            log.info("check-in for %s %s raced another; retrying", tps_id, kind.value)
    else:  # pragma: no cover - the loop either breaks or raises
        return None
    scope = inbox.current()
    if scope is not None:
        scope.stored = True
    results = list(await asyncio.gather(*sender.release(queued)))
    return Stored(filed, tps, results)


async def show(
    context: DeskContext, draft: Draft, body: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit the draft's message in place; send a new one if there is none (or it is gone)."""
    sender = context.services.out
    if draft.message_id is not None:
        edited = await sender.send(
            messages.edit_text(
                draft.chat_id, draft.message_id, body, markup=markup, key=answer_key()
            )
        )
        if not edited or edited[0].status is not OutStatus.FAILED:
            return  # edited, edited before, or to be edited when Telegram lets us
        log.info("could not edit check-in message %s; sending a new one", draft.message_id)
    sent = await sender.send(
        *messages.text_message(draft.chat_id, body, markup=markup, key=answer_key())
    )
    message_id = sent[-1].message_id if sent else None
    if message_id is None:
        return
    draft.message_id = message_id
    async with context.services.transaction() as session:
        current = await conversations.get(session, draft.telegram_id)
        if current is not None and current.token == draft.token:
            current.message_id = message_id
            await conversations.save(session, current)


def receipt_in_place(draft: Draft, body: str) -> list[Outgoing]:
    """The receipt of a guided filing: its message becomes the receipt."""
    if draft.message_id is not None:
        return [messages.edit_text(draft.chat_id, draft.message_id, body)]
    return messages.text_message(draft.chat_id, body)


def after_filed(context: DeskContext, filed: Filed) -> None:
    """Background work once a new check-in is receipted: listeners (alerts), photos on disk."""
    if filed.duplicate:
        return
    for listener in context.services.checkin_listeners:
        context.application.create_task(
            _notify(listener, context, filed.id), name=f"checkin-listener-{filed.id}"
        )
    schedule_downloads(context, filed)


async def _notify(listener: CheckinListener, context: DeskContext, checkin_id: int) -> None:
    try:
        await listener(context.application, context.services, checkin_id)
    except Exception:
        log.exception("check-in listener failed for check-in %s", checkin_id)


def schedule_downloads(context: DeskContext, filed: Filed) -> None:
    """Keep the photos on disk too, in the background, when a folder is configured."""
    folder = context.services.download_dir
    photos = filed.payload.get("photos") or []
    if folder is None or not photos:
        return
    for index, file_id in enumerate(photos):
        target = Path(folder) / filed.tps_id / f"{filed.id}-{index + 1}.jpg"
        context.application.create_task(
            _download(context, str(file_id), target), name=f"download-{filed.id}-{index}"
        )


async def _download(context: DeskContext, file_id: str, target: Path) -> None:
    try:
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        telegram_file = await context.bot.get_file(file_id)
        await telegram_file.download_to_drive(target)
        log.info("photo %s kept as %s", file_id, target)
    except (TelegramError, OSError):
        log.warning("could not download photo %s", file_id, exc_info=True)
