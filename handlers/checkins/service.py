"""What guided and quick filing share: scope checks, storing with retry, the one message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup
from telegram.error import TelegramError

from domain.checkins.kinds import Kind, Source
from domain.checkins.records import Draft, Filed, TpsInfo
from domain.checkins.reports import Report
from domain.checkins.scope import FILERS
from domain.checkins.scope import scope_refusal as domain_scope_refusal
from domain.outbox import Outgoing, OutStatus
from domain.people import Member
from domain.roles import Role
from handlers.common import answer_key
from handlers.context import CheckinListener, DeskContext
from outbox import inbox, messages
from outbox.sender import Result
from storage import conversations
from storage.filing import store_checkin
from storage.outbox import Queued

log = logging.getLogger(__name__)


def scope_refusal(member: Member, tps_id: str) -> str | None:
    """The text key saying why this person may not file for this TPS, or None if they may."""
    reason = domain_scope_refusal(member, tps_id)
    return None if reason is None else f"checkin.{reason}"


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
    transaction (`storage.filing`), then send the receipt; None if there is no such TPS.

    The receipt is keyed `receipt:<check-in id>`: a check-in delivered twice gets one receipt.
    """
    sender = context.services.out
    queued: list[Queued] = []

    async def queue_receipt(session: AsyncSession, filed: Filed, tps: TpsInfo) -> None:
        calls = answer(filed, tps)
        for index, call in enumerate(calls):
            call.key = f"receipt:{filed.id}" + (f"#{index}" if index else "")
        queued[:] = await sender.queue(session, calls)

    stored = await store_checkin(
        context.services.sessions,
        member=member,
        tps_id=tps_id,
        kind=kind,
        report=report,
        source=source,
        sent_at=sent_at,
        received_at=context.now(),
        dedupe_key=dedupe_key,
        finished_draft=finished_draft,
        then=queue_receipt,
    )
    if stored is None:
        return None
    scope = inbox.current()
    if scope is not None:
        scope.stored = True
    results = list(await asyncio.gather(*sender.release(queued)))
    return Stored(stored[0], stored[1], results)


async def queue_edit(
    context: DeskContext,
    session: AsyncSession,
    draft: Draft,
    body: str,
    markup: InlineKeyboardMarkup | None,
) -> list[Queued] | None:
    """Queue the edit of the draft's message in the caller's transaction (the step stored and
    its message owed commit together); None when the draft has no message to edit yet. Hand
    the result to `show` after the commit."""
    if draft.message_id is None:
        return None
    edit = messages.edit_text(
        draft.chat_id, draft.message_id, body, markup=markup, key=answer_key()
    )
    return await context.services.out.queue(session, [edit])


async def show(
    context: DeskContext,
    draft: Draft,
    body: str,
    markup: InlineKeyboardMarkup | None,
    *,
    queued: list[Queued] | None = None,
) -> None:
    """Edit the draft's message in place (the edit `queue_edit` queued, if given); send a new
    one if there is none (or it is gone)."""
    sender = context.services.out
    if draft.message_id is not None:
        if queued is not None:
            edited = list(await asyncio.gather(*sender.release(queued)))
        else:
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
            _notify(listener, context, filed), name=f"checkin-listener-{filed.id}"
        )
    schedule_downloads(context, filed)


async def _notify(listener: CheckinListener, context: DeskContext, filed: Filed) -> None:
    try:
        await listener(context.application, context.services, filed)
    except Exception:
        log.exception("check-in listener failed for check-in %s", filed.id)


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
