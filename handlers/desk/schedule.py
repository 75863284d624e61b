"""/tenggat, /pengingat, /jadwalrekap: see the desk schedule; admins change it (audited)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from telegram import Update

from domain.checkins.kinds import Kind
from domain.people import Member
from domain.roles import Role
from domain.schedule import (
    Deadline,
    DeskSchedule,
    ScheduleError,
    offset_text,
    parse_clock,
    parse_offsets,
    parse_when,
    zone_abbreviation,
)
from domain.slots import next_fire, slots
from handlers.common import registered, reply
from handlers.context import DeskContext
from storage import desk_groups, digest, people, schedules, tpslists
from storage.schedules import SlotRecord
from views import desk as render
from views.texts import Html, text


def schedule_lines(
    lang: str,
    setup: digest.DeskSetup,
    *,
    missed: int,
    missed_records: Sequence[SlotRecord],
    now: datetime,
) -> list[str]:
    schedule, zone = setup.schedule, setup.zone
    zone_name = zone_abbreviation(zone)
    lines = [text(lang, "digest.schedule_title")]
    if schedule.election_day is None:
        lines.append(text(lang, "digest.schedule_no_day"))
    else:
        lines.append(
            text(lang, "digest.schedule_day", day=schedule.election_day.isoformat(), zone=zone_name)
        )
    for kind in Kind:
        rule = schedule.deadlines.get(kind.value)
        name = render.kind_name(lang, kind.value)
        if rule is None:
            lines.append(text(lang, "digest.schedule_no_deadline", kind=name))
            continue
        local = (
            render.local_when(rule.when.resolve(schedule.election_day, zone), zone)
            if schedule.election_day
            else "?"
        )
        offsets = ", ".join(offset_text(m) for m in rule.reminders) or text(
            lang, "digest.no_offsets"
        )
        lines.append(
            text(
                lang,
                "digest.schedule_deadline",
                kind=name,
                spec=rule.when.text(),
                local=local,
                zone=zone_name,
                offsets=offsets,
            )
        )
    times = ", ".join(t.strftime("%H:%M") for t in schedule.digest_times) or "-"
    lines.append(
        text(
            lang,
            "digest.schedule_digest",
            times=times,
            first=schedule.digest_from.text(),
            last=schedule.digest_until.text(),
        )
    )
    upcoming = next_fire(slots(schedule, zone), now)
    if upcoming is not None:
        what = text(
            lang,
            f"digest.slot.{upcoming.kind.value}",
            kind=render.kind_name(lang, upcoming.subject) if upcoming.subject else "",
        )
        lines.append(
            text(
                lang,
                "digest.schedule_next",
                what=what,
                when=render.local_when(upcoming.due_at, zone),
                zone=zone_name,
            )
        )
    if missed:
        named = [
            text(
                lang,
                "digest.schedule_missed_item",
                what=text(
                    lang,
                    f"digest.slot.{record.kind}",
                    kind=render.kind_name(lang, record.subject) if record.subject else "",
                ),
                when=render.local_when(record.due_at, zone),
                zone=zone_name,
            )
            for record in missed_records
        ]
        lines.append(text(lang, "digest.schedule_missed", count=missed, keys="; ".join(named)))
    return lines


async def _show(update: Update, context: DeskContext, member: Member) -> None:
    async with context.services.transaction() as session:
        setup = await digest.desk_setup(session)
        missed, records = await schedules.slots_by_status(session, "missed", limit=3)
        lists = await tpslists.loaded_lists(session, setup.scope)
        groups = await desk_groups.desk_groups(session)
    lines = schedule_lines(
        member.language,
        setup,
        missed=missed,
        missed_records=records,
        now=context.now(),
    )
    for item in lists:
        lines.append(
            text(
                member.language,
                "digest.schedule_tps_list",
                name=item.name,
                tps=item.tps,
                region=item.region_code or "-",
                loaded=render.local_when(item.loaded_at, setup.zone),
            )
        )
    if not groups:  # digests and alerts would reach nobody: say so where the schedule is
        lines += ["", text(member.language, "digest.schedule_no_group")]
    if member.role is Role.ADMIN:
        lines += ["", text(member.language, "digest.schedule_help")]
    await reply(update, "\n".join(lines))


async def _save(
    update: Update, context: DeskContext, member: Member, schedule: DeskSchedule, what: str
) -> None:
    now = context.now()
    async with context.services.transaction() as session:
        await schedules.save_schedule(session, schedule, now=now, by=member.id)
        await people.audit(
            session,
            actor_id=member.id,
            actor_label=f"telegram:{member.telegram_id}",
            action="schedule_changed",
            now=now,
            detail={"change": what, "schedule": schedule.to_dict()},
        )
    await reply(update, text(member.language, "digest.schedule_saved", what=what))


async def _current(context: DeskContext) -> DeskSchedule:
    async with context.services.transaction() as session:
        return (await digest.desk_setup(session)).schedule


def _kind(value: str) -> str:
    if value.lower() not in {k.value for k in Kind}:
        raise ScheduleError("not_a_kind", value=value, kinds=", ".join(k.value for k in Kind))
    return value.lower()


def schedule_problem(lang: str, error: ScheduleError) -> str:
    """Why a schedule change was refused, in the person's words."""
    reason = text(lang, f"digest.schedule_problem.{error.code}", **error.values)
    return text(lang, "digest.schedule_bad", reason=Html(reason))


@registered(Role.ADMIN, Role.COORDINATOR)
async def cmd_tenggat(update: Update, context: DeskContext, member: Member) -> None:
    """Show the schedule; admins: /tenggat KIND H-1 18:00 (or hapus) sets a deadline."""
    args = context.args or []
    if not args:
        await _show(update, context, member)
        return
    if member.role is not Role.ADMIN:
        await reply(update, text(member.language, "digest.schedule_not_admin"))
        return
    try:
        kind = _kind(args[0])
        schedule = await _current(context)
        spec = " ".join(args[1:])
        if spec.lower() in ("hapus", "off", "none"):
            await _save(update, context, member, schedule.without_deadline(kind), f"{kind}: -")
            return
        when = parse_when(spec)
        old = schedule.deadlines.get(kind)
        rule = Deadline(kind, when, old.reminders if old else ())
    except ScheduleError as exc:
        await reply(update, schedule_problem(member.language, exc))
        return
    await _save(update, context, member, schedule.with_deadline(rule), f"{kind}: {when.text()}")


@registered(Role.ADMIN)
async def cmd_pengingat(update: Update, context: DeskContext, member: Member) -> None:
    """Set the reminder offsets of a kind: /pengingat siap 60,30,15 or 3j,1j,15m."""
    args = context.args or []
    try:
        if len(args) < 2:
            raise ScheduleError("usage_pengingat")
        kind = _kind(args[0])
        offsets = parse_offsets("".join(args[1:]))
        schedule = await _current(context)
        old = schedule.deadlines.get(kind)
        if old is None:
            raise ScheduleError("no_deadline", value=kind)
    except ScheduleError as exc:
        await reply(update, schedule_problem(member.language, exc))
        return
    rule = replace(old, reminders=offsets)
    what = f"{kind}: {', '.join(offset_text(m) for m in offsets)}"
    await _save(update, context, member, schedule.with_deadline(rule), what)


@registered(Role.ADMIN)
async def cmd_jadwalrekap(update: Update, context: DeskContext, member: Member) -> None:
    """Set the daily digest times: /jadwalrekap 06:00,12:00,18:00."""
    try:
        raw = "".join(context.args or []).split(",")
        times = tuple(sorted({parse_clock(t) for t in raw if t}))
        if not times:
            raise ScheduleError("usage_jadwalrekap")
    except ScheduleError as exc:
        await reply(update, schedule_problem(member.language, exc))
        return
    schedule = replace(await _current(context), digest_times=times)
    await _save(update, context, member, schedule, ", ".join(t.strftime("%H:%M") for t in times))
