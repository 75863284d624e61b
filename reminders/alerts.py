"""Alerts: a critical incident or a severe flood goes to the desk groups at once.

The check-in feature calls `alert_checkin(app_or_bot, services, checkin_id)` after it
committed a check-in. The alert is a slot (`alert:<checkin id>`) like any other, so it is
sent exactly once per group, also when the bot restarts in the middle (the next tick resumes
it), and calling it twice for the same check-in sends nothing more.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from domain.checkins.kinds import Kind, Severity
from domain.checkins.records import Filed
from domain.figures import SERIOUS
from domain.outbox import Priority
from domain.regions import contains
from domain.rehearsal import slot_prefix
from domain.slots import SlotDef, SlotKind
from reminders.delivery import owe, slot_text
from services import Services
from storage import checkins, desk_groups, regions, schedules
from storage.digest import DeskSetup, desk_setup
from storage.models import Checkin, Tps, Village
from storage.schedules import SlotRecord
from views.texts import text

log = logging.getLogger(__name__)

ALERT_GRACE = timedelta(hours=6)
GROUP_LANGUAGE = "id"


def is_alert(kind: str, severity: str) -> bool:
    """Critical incidents, and floods that are severe or critical."""
    if kind == Kind.KEJADIAN:
        return severity == Severity.CRITICAL
    return kind == Kind.BANJIR and severity in SERIOUS


async def alert_filed(app: Any, services: Services, filed: Filed) -> bool:
    """The check-in listener (`Services.checkin_listeners`): `alert_checkin` for a check-in
    that warrants an alert, nothing (not even a read) for the others; True if it alerted."""
    if not is_alert(filed.kind, filed.severity):
        return False
    return await alert_checkin(app, services, filed.id)


async def alert_checkin(_app: Any, services: Services, checkin_id: int) -> bool:
    """Queue the check-in for the desk groups if it warrants an alert; True if it did."""
    now = services.clock()
    # Nearly every check-in is no alert: find that out without queueing for the write lock.
    async with services.reading() as session:
        found = await checkins.kind_and_severity(session, checkin_id)
    if found is None or not is_alert(*found):
        return False
    async with services.transaction() as session:
        checkin = await session.get(Checkin, checkin_id)
        if checkin is None:  # a rehearsal's, cleared meanwhile
            return False
        practice = checkin.rehearsal_id
        slot = SlotDef(
            key=(slot_prefix(practice) if practice else "") + f"alert:{checkin_id}",
            kind=SlotKind.ALERT,
            subject=checkin.kind,
            due_at=now,
            useful_until=now + ALERT_GRACE,
            rehearsal_id=practice,
        )
        if not await schedules.record_slot(session, slot, status="sending", now=now):
            return False  # already alerted (or being alerted by a tick)
        record = await schedules.slot_by_key(session, slot.key)
        setup = await desk_setup(session, rehearsal=practice)
    assert record is not None
    await send_alert(services, record, setup)
    async with services.transaction() as session:
        await schedules.finish_slot(session, record.id, status="done", now=services.clock())
    return True


async def alert_text(
    services: Services, checkin_id: int, lang: str, *, rehearsal: bool = False
) -> tuple[str, str] | None:
    """(TPS id, message) for a check-in, SIMULASI first for a rehearsal's; None if gone."""
    async with services.transaction() as session:
        checkin = await session.get(Checkin, checkin_id)
        if checkin is None:
            return None
        tps = await regions.region(session, checkin.tps_id)
        district = await regions.region(session, checkin.district_code)
        tps_row = await session.get(Tps, checkin.tps_id)
        village_row = await session.get(Village, tps_row.village_code) if tps_row else None
        payload = dict(checkin.payload or {})
        kind, tps_id = checkin.kind, checkin.tps_id
    village = village_row.name if village_row else ""
    place = {
        "tps": f"{tps.name if tps else 'TPS'} ({tps_id})",
        "village": village,
        "district": district.name if district else checkin.district_code,
    }
    if kind == Kind.BANJIR:
        usable = payload.get("usable")
        body = text(
            lang,
            "digest.alert_flood",
            water=payload.get("water_cm", "?"),
            usable=text(lang, "digest.alert_usable_yes" if usable else "digest.alert_usable_no"),
            **place,
        )
    else:
        level = str(payload.get("severity") or "critical")
        category = str(payload.get("category") or "other")
        body = text(
            lang,
            "digest.alert_incident",
            severity=text(lang, f"checkin.opt.severity.{level}"),
            category=text(lang, f"checkin.opt.category.{category}"),
            summary=str(payload.get("text") or "")[:500],
            **place,
        )
    if rehearsal:
        body = text(lang, "rehearsal.banner") + "\n" + body
    return tps_id, body


async def send_alert(services: Services, slot: SlotRecord, setup: DeskSetup) -> None:
    """Queue the alert for every desk group whose region holds the TPS."""
    checkin_id = int(slot.key.rsplit(":", 1)[1])  # alert:<id> or sim<r>:alert:<id>
    found = await alert_text(
        services, checkin_id, GROUP_LANGUAGE, rehearsal=slot.rehearsal_id is not None
    )
    if found is None:
        return
    tps_id, body = found
    async with services.transaction() as session:
        groups = await desk_groups.desk_groups(session)
        topics = await desk_groups.desk_topics(session)
    calls = [
        call
        for chat_id, _title, scope in groups
        if contains(scope, tps_id)
        for call in slot_text(
            services,
            slot,
            chat_id,
            "msg",
            body,
            priority=Priority.ALERT,
            thread_id=topics.get(chat_id, (None, None))[1],
        )
    ]
    await owe(services, calls)
