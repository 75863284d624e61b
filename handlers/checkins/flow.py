"""The guided step engine: start a draft, take one answer, move on, summarise, send.

Each update reads the draft, applies one answer through the domain, writes the draft back in
one transaction, and only then edits the draft's one message. Successful button presses are
not answered separately: the edit is the answer, and it keeps a check-in at one Bot API call
per step. Refusals are answered on the button (a toast) or shown in the message.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update

from domain.checkins.kinds import Kind, Source
from domain.checkins.records import Draft, Filed, TpsInfo
from domain.checkins.reports import build, payload_of
from domain.checkins.rules import MAX_PHOTOS, Problem
from domain.checkins.steps import (
    FLOWS,
    Step,
    StepKey,
    StepType,
    answer_choice,
    answer_location,
    answer_typed,
    applicable,
    next_step,
    report_fields,
    step_of,
)
from domain.outbox import Outgoing, OutStatus
from domain.people import Member
from domain.rehearsal import EventKind
from handlers.checkins.album import photo_ids
from handlers.checkins.service import after_filed, queue_edit, receipt_in_place, show, store
from handlers.common import answer_button, answer_key
from handlers.context import DeskContext
from outbox import messages
from storage import conversations, rehearsals
from views import checkins as render
from views.texts import text

log = logging.getLogger(__name__)


async def start(
    update: Update,
    context: DeskContext,
    member: Member,
    kind: Kind,
    *,
    draft: Draft | None = None,
) -> None:
    """Open a new draft of this kind (replacing any unfinished one) and ask the first step."""
    chat = update.effective_chat
    assert chat is not None
    now = context.now()
    if draft is None:
        draft = Draft(
            telegram_id=member.telegram_id,
            chat_id=chat.id,
            flow=kind.value,
            step="",
            started_at=now,
            updated_at=now,
            tps_id=member.scope,
        )
    draft.flow = kind.value
    await advance(context, member, draft)


async def advance(
    context: DeskContext, member: Member, draft: Draft, *, problem: Problem | None = None
) -> None:
    """Move to the next unanswered step (or the summary), store the draft, show it."""
    kind = draft.kind
    assert kind is not None and draft.tps_id is not None
    election = context.services.election
    draft.updated_at = context.now()
    tps = await context.services.tps_info(draft.tps_id)  # shown only: kept a while
    assert tps is not None, "drafts only ever name TPS that exist"
    async with context.services.transaction() as session:
        step = step_of(kind, draft.step) if problem is not None else None
        payload: dict[str, Any] | None = None
        if step is None:
            step = next_step(kind, draft.answers)
        if step is None:
            try:
                payload = payload_of(
                    build(kind, report_fields(kind, draft.answers), election=election)
                )
            except Problem as refused:
                problem, step = refused, _step_to_fix(kind, draft, refused)
        draft.step = step.key.value if step is not None else StepKey.SUMMARY.value
        await conversations.save(session, draft)
        body, markup = _view(context, member, draft, tps, step, payload, problem)
        queued = await queue_edit(context, session, draft, body, markup)
    await show(context, draft, body, markup, queued=queued)


def _step_to_fix(kind: Kind, draft: Draft, problem: Problem) -> Step:
    """The step whose answer a whole-report refusal points at; it is asked again."""
    name = (
        "affected"
        if problem.field == "received" and "received" not in draft.answers
        else problem.field
    )
    step = step_of(kind, name) or FLOWS[kind][0]
    draft.answers.pop(step.key.value, None)
    return step


def _view(
    context: DeskContext,
    member: Member,
    draft: Draft,
    tps: TpsInfo,
    step: Step | None,
    payload: dict[str, Any] | None,
    problem: Problem | None,
) -> render.View:
    lang, election = member.language, context.services.election
    relayer = member.name if draft.relayed else None
    if step is None and payload is not None:
        return render.summary_view(
            lang, draft, payload, tps_label=tps.label, relayer=relayer, election=election
        )
    assert step is not None
    now_label = render.when_text(context.now(), tps.province_code)[:5]
    return render.step_view(
        lang,
        draft,
        step,
        tps_label=tps.label,
        relayer=relayer,
        election=election,
        now_label=now_label,
        problem=problem,
    )


async def on_button(
    update: Update, context: DeskContext, member: Member, draft: Draft, step: str, value: str
) -> None:
    """A button of the draft's current step was pressed."""
    query = update.callback_query
    assert query is not None
    kind = draft.kind
    assert kind is not None
    if step == StepKey.SUMMARY:
        if value == "send":
            await send(update, context, member, draft)
            return
        draft.step = StepKey.CHANGE.value
        await _show_change(context, member, draft)
        return
    if step == StepKey.CHANGE:
        if value != "_back" and value in applicable(kind, draft.answers):
            draft.answers.pop(value)
        await advance(context, member, draft)
        return
    definition = step_of(kind, step)
    assert definition is not None
    try:
        if definition.type is StepType.TIME and value == "now":
            answer = await _local_now(context, draft)
        else:
            answer = answer_choice(
                definition, value, draft.answers, election=context.services.election
            )
    except Problem as refused:
        await answer_button(update, render.problem_text(member.language, refused))
        return
    draft.answers[definition.key.value] = answer
    await advance(context, member, draft)


async def _local_now(context: DeskContext, draft: Draft) -> str:
    tps = await context.services.tps_info(draft.tps_id or "")
    return render.when_text(context.now(), tps.province_code if tps else "")[:5]


async def _show_change(context: DeskContext, member: Member, draft: Draft) -> None:
    draft.updated_at = context.now()
    tps = await context.services.tps_info(draft.tps_id or "")
    async with context.services.transaction() as session:
        await conversations.save(session, draft)
    assert tps is not None
    body, markup = render.change_view(
        member.language,
        draft,
        tps_label=tps.label,
        relayer=member.name if draft.relayed else None,
        election=context.services.election,
    )
    await show(context, draft, body, markup)


async def on_input(update: Update, context: DeskContext, member: Member, draft: Draft) -> None:
    """Something was sent while a step waits: a typed answer, a photo, a location, or junk."""
    message = update.message
    kind = draft.kind
    assert message is not None and kind is not None
    if message.message_id <= draft.last_message_id:
        log.info("message %s of %s was already handled", message.message_id, member.telegram_id)
        return
    draft.last_message_id = message.message_id
    step = step_of(kind, draft.step)
    try:
        if step is None:  # the summary or the change list wait for a button
            if message.photo and "photos" in applicable(kind, draft.answers):
                earlier = draft.answers["photos"] or []
                draft.answers["photos"] = [*earlier, *photo_ids(message)][-MAX_PHOTOS:]
                await advance(context, member, draft)
                return
            raise Problem("press_a_button", "")
        draft.answers[step.key.value] = _read(step, message, draft, context.services.election)
    except Problem as refused:
        await _reask(context, member, draft, step, refused)
        return
    await advance(context, member, draft)


def _read(step: Step, message: Message, draft: Draft, election: str) -> Any:
    if step.type is StepType.PHOTO:
        if not message.photo:
            raise Problem("send_photo", step.key.value)
        return photo_ids(message)
    if step.type is StepType.LOCATION:
        if message.location is None:
            raise Problem("send_location", step.key.value)
        return answer_location(step, message.location.latitude, message.location.longitude)
    if not message.text:
        raise Problem("not_text" if step.typed else "press_a_button", step.key.value)
    return answer_typed(step, message.text, draft.answers, election=election)


async def _reask(
    context: DeskContext, member: Member, draft: Draft, step: Step | None, problem: Problem
) -> None:
    """Keep the step, remember the message was seen, and say what was wrong."""
    if step is None:
        async with context.services.transaction() as session:
            await conversations.save(session, draft)
        await context.services.out.send(
            *messages.text_message(
                draft.chat_id,
                "⚠️ " + render.problem_text(member.language, problem),
                key=answer_key(),
            )
        )
        return
    await advance(context, member, draft, problem=problem)


async def send(update: Update, context: DeskContext, member: Member, draft: Draft) -> None:
    """Store the check-in, drop the draft, and turn the message into the receipt."""
    kind = draft.kind
    assert kind is not None and draft.tps_id is not None
    election = context.services.election
    try:
        report = build(kind, report_fields(kind, draft.answers), election=election)
    except Problem as refused:
        await advance(context, member, draft, problem=refused)
        return

    def receipt(filed: Filed, tps: TpsInfo) -> list[Outgoing]:
        body = render.receipt(
            member.language,
            filed,
            tps_label=tps.label,
            province_code=tps.province_code,
            election=election,
        )
        return receipt_in_place(draft, body)

    stored = await store(
        context,
        member=member,
        tps_id=draft.tps_id,
        kind=kind,
        report=report,
        source=Source.GUIDED,
        sent_at=context.now(),
        dedupe_key=draft.dedupe_key,
        finished_draft=draft.telegram_id,
        answer=receipt,
    )
    assert stored is not None
    if stored.receipt and stored.receipt[0].status is OutStatus.FAILED:
        # The message to turn into the receipt is gone: the receipt comes as a new one.
        draft.message_id = None
        await show(context, draft, receipt(stored.filed, stored.tps)[0].params["text"], None)
    after_filed(context, stored.filed)


async def cancel(context: DeskContext, member: Member, draft: Draft) -> None:
    """Drop the draft (during a rehearsal, noted for its report: who needed help)."""
    async with context.services.transaction() as session:
        await conversations.drop(session, draft.telegram_id)
        await rehearsals.record_event(
            session,
            person_id=member.id,
            kind=EventKind.CANCELLED_DRAFT,
            detail=f"{draft.flow}:{draft.step}",
            now=context.now(),
        )
    await show(context, draft, text(member.language, "checkin.cancelled"), None)
