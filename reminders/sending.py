"""What each slot sends: reminders to officers, escalations to camats, digests to groups."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain.figures import Figures, change
from domain.outbox import Outgoing, Priority
from reminders.delivery import owe, slot_file, slot_text
from services import DeskApplication, Services
from storage import coverage, desk_groups, digest, export, regions, schedules
from storage.digest import DeskSetup
from storage.schedules import SlotRecord
from views import desk as render
from views import exports
from views.texts import text

log = logging.getLogger(__name__)

GROUP_LANGUAGE = "id"
REMINDER, DIGEST = Priority.REMINDER, Priority.DIGEST
QUEUE_BATCH = 2000  # reminders queued per transaction


def _services(app: DeskApplication) -> Services:
    services = app.bot_data.services
    assert services is not None
    return services


def filing_button(lang: str, kind: str) -> InlineKeyboardMarkup:
    """`ci:start:<kind>` starts the guided filing (the check-in feature handles the prefix)."""
    label = text(lang, "digest.reminder_button", kind=render.kind_name(lang, kind))
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"ci:start:{kind}")]])


async def send_reminders(app: DeskApplication, slot: SlotRecord, setup: DeskSetup) -> None:
    services = _services(app)
    async with services.transaction() as session:
        recipients = await coverage.officers_to_remind(
            session, slot.subject, setup.scope, rehearsal=setup.rehearsal
        )
    deadline = slot.useful_until  # a reminder is useful until its deadline
    calls: list[Outgoing] = []
    for person in recipients:
        body = render.reminder_text(
            person.language,
            slot.subject,
            person.scope,
            deadline=deadline,
            zone=setup.zone,
            now=services.clock(),
            rehearsal=setup.rehearsal is not None,
        )
        markup = filing_button(person.language, slot.subject)
        calls += slot_text(
            services, slot, person.telegram_id, "msg", body, priority=REMINDER, markup=markup
        )
        if len(calls) >= QUEUE_BATCH:
            await owe(services, calls)
            calls = []
    await owe(services, calls)
    # SMS: reminders by text message to officers whose TPS declared no signal.
    if services.sms_reminders is not None:
        await services.sms_reminders(slot.id, slot.subject, setup.scope, deadline)


async def send_escalations(app: DeskApplication, slot: SlotRecord, setup: DeskSetup) -> None:
    services = _services(app)
    deadline = slot.useful_until - timedelta(hours=2)
    async with services.transaction() as session:
        recipients = await coverage.camats(session, setup.scope)
    bodies: dict[tuple[str, str], str | None] = {}
    for person in recipients:
        key = (person.scope, person.language)
        if key not in bodies:
            async with services.transaction() as session:
                total, missing = await coverage.missing_tps(
                    session, slot.subject, person.scope, rehearsal=setup.rehearsal
                )
                district = await regions.region(session, person.scope)
                tps_total = (await regions.counts(session, person.scope))["tps"]
            bodies[key] = (
                render.escalation_text(
                    person.language,
                    slot.subject,
                    district=district.name if district else person.scope,
                    district_code=person.scope,
                    missing=missing,
                    total=tps_total,
                    deadline=deadline,
                    zone=setup.zone,
                    rehearsal=setup.rehearsal is not None,
                )
                if total
                else None
            )
        body = bodies[key]
        if body is None:
            continue
        await owe(
            services, slot_text(services, slot, person.telegram_id, "msg", body, priority=REMINDER)
        )


async def figures_for_slot(
    services: Services, slot: SlotRecord, scope: str, setup: DeskSetup
) -> tuple[Figures, Figures | None]:
    """The slot's figures for a scope (built once and stored) and the previous digest's."""
    async with services.transaction() as session:
        figures = await schedules.stored_digest(session, slot.id, scope)
        if figures is None:
            built = await digest.build(session, scope, setup=setup, now=services.clock())
            figures = await schedules.store_digest(session, slot.id, built, services.clock())
        previous = await schedules.previous_digest(session, scope, before_slot=slot.id)
    return figures, previous


async def _attachments(
    services: Services, figures: Figures, scope: str, setup: DeskSetup, lang: str
) -> tuple[bytes, bytes]:
    """The digest's chart and its spreadsheet: the `/ekspor` export of the scope's current
    check-ins (a rehearsal's: its newest), same columns, local times and language."""
    async with services.transaction() as session:
        sheets = await export.checkin_sheets(
            session, scope, current_only=True, rehearsal=setup.rehearsal
        )
    picture = await asyncio.to_thread(render.render_chart, figures, lang)
    book = await asyncio.to_thread(exports.workbook, sheets, lang, services.election)
    return picture, book


async def send_digests(app: DeskApplication, slot: SlotRecord, setup: DeskSetup) -> None:
    services = _services(app)
    async with services.transaction() as session:
        groups = await desk_groups.desk_groups(session)
        topics = await desk_groups.desk_topics(session)
    attachments: dict[str, tuple[bytes, bytes]] = {}
    for chat_id, _title, group_scope in groups:
        scope = digest.digest_scope(setup.scope, group_scope)
        figures, previous = await figures_for_slot(services, slot, scope, setup)
        lang = GROUP_LANGUAGE
        thread_id = topics.get(chat_id, (None, None))[0]
        practice = setup.rehearsal is not None
        messages = render.digest_messages(
            lang, figures, change(previous, figures), zone=setup.zone, rehearsal=practice
        )
        calls: list[Outgoing] = []
        for index, body in enumerate(messages):
            calls += slot_text(
                services,
                slot,
                chat_id,
                f"text{index}",
                body,
                priority=DIGEST,
                thread_id=thread_id,
            )
        if figures.total.tps:
            if scope not in attachments:
                attachments[scope] = await _attachments(services, figures, scope, setup, lang)
            picture, book = attachments[scope]
            stamp = figures.at[:16].replace(":", "").replace("-", "")
            calls += slot_file(
                services,
                slot,
                chat_id,
                "chart",
                "photo",
                data=picture,
                filename="rekap.png",
                caption=render.digest_caption(lang, figures, setup.zone, rehearsal=practice),
                priority=DIGEST,
                thread_id=thread_id,
            )
            calls += slot_file(
                services,
                slot,
                chat_id,
                "xlsx",
                "document",
                data=book,
                filename=f"rekap-{scope or 'nasional'}-{stamp}.xlsx",
                caption=render.document_caption(lang, figures, setup.zone, rehearsal=practice),
                priority=DIGEST,
                thread_id=thread_id,
            )
        await owe(services, calls)
