"""Slots: every reminder, escalation and digest a schedule implies, with its grace window.

A slot has a stable key (the same schedule always yields the same keys), the moment it falls
due and the moment it stops being useful. The scheduler records each slot in the database
once: sent if it is claimed within its window, `missed` if the bot only saw it afterwards.

Grace windows (how late a slot may still be sent, e.g. after the bot was down):

- a reminder is useful until its deadline (a reminder after the deadline only confuses);
- an escalation until two hours after the deadline (the camat can still chase the TPS);
- a digest until the next digest falls due, at most `DIGEST_GRACE` after its own time
  (a late digest is still the newest picture; once the next one is due it is redundant).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.schedule import DeskSchedule

ESCALATION_GRACE = timedelta(hours=2)
DIGEST_GRACE = timedelta(hours=3)


class SlotKind(StrEnum):
    REMINDER = "reminder"
    ESCALATION = "escalation"
    DIGEST = "digest"
    ALERT = "alert"


class Fate(StrEnum):
    WAIT = "wait"
    SEND = "send"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class SlotDef:
    key: str
    kind: SlotKind
    subject: str  # the check-in kind of a reminder or escalation; "" for a digest
    due_at: datetime  # UTC
    useful_until: datetime  # UTC
    deadline: datetime | None = None
    offset_minutes: int = 0
    rehearsal_id: int | None = None  # set on a rehearsal's slots (`domain.rehearsal`)

    def fate(self, now: datetime) -> Fate:
        if now < self.due_at:
            return Fate.WAIT
        return Fate.SEND if now <= self.useful_until else Fate.MISSED


def _local_iso(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="minutes")


def slots(schedule: DeskSchedule, zone: ZoneInfo) -> list[SlotDef]:
    """All slots of the schedule, by due time (an empty list without an election day)."""
    election_day = schedule.election_day
    if election_day is None:
        return []
    found: list[SlotDef] = []
    for kind, rule in sorted(schedule.deadlines.items()):
        deadline = rule.when.resolve(election_day, zone)
        stamp = _local_iso(deadline, zone)
        for minutes in rule.reminders:
            found.append(
                SlotDef(
                    key=f"reminder:{kind}:{stamp}:{minutes}",
                    kind=SlotKind.REMINDER,
                    subject=kind,
                    due_at=deadline - timedelta(minutes=minutes),
                    useful_until=deadline,
                    deadline=deadline,
                    offset_minutes=minutes,
                )
            )
        found.append(
            SlotDef(
                key=f"escalation:{kind}:{stamp}",
                kind=SlotKind.ESCALATION,
                subject=kind,
                due_at=deadline,
                useful_until=deadline + ESCALATION_GRACE,
                deadline=deadline,
            )
        )
    found.extend(digest_slots(schedule, zone))
    return sorted(found, key=lambda s: (s.due_at, s.key))


def digest_slots(schedule: DeskSchedule, zone: ZoneInfo) -> list[SlotDef]:
    if schedule.election_day is None or not schedule.digest_times:
        return []
    first = schedule.digest_from.resolve(schedule.election_day)
    last = schedule.digest_until.resolve(schedule.election_day)
    moments: list[datetime] = []
    day = first
    while day <= last:
        for at in schedule.digest_times:
            moments.append(datetime.combine(day, at, tzinfo=zone).astimezone(UTC))
        day += timedelta(days=1)
    moments.sort()
    result = []
    for index, due in enumerate(moments):
        limit = due + DIGEST_GRACE
        if index + 1 < len(moments):
            limit = min(limit, moments[index + 1] - timedelta(seconds=1))
        result.append(
            SlotDef(
                key=f"digest:{_local_iso(due, zone)}",
                kind=SlotKind.DIGEST,
                subject="",
                due_at=due,
                useful_until=limit,
            )
        )
    return result


def next_fire(all_slots: list[SlotDef], now: datetime) -> SlotDef | None:
    """The next slot that is not yet due (RapidPro's `next_fire`)."""
    return next((s for s in all_slots if s.due_at > now), None)


def due(all_slots: list[SlotDef], now: datetime) -> list[SlotDef]:
    """Slots whose time has come (useful or not any more)."""
    return [s for s in all_slots if s.due_at <= now]


def focus_kind(schedule: DeskSchedule, zone: ZoneInfo, now: datetime) -> str | None:
    """The kind whose deadline is next; once all passed, the one that passed last."""
    if schedule.election_day is None or not schedule.deadlines:
        return None
    ordered = sorted(
        (rule.when.resolve(schedule.election_day, zone), kind)
        for kind, rule in schedule.deadlines.items()
    )
    upcoming = [kind for moment, kind in ordered if moment > now]
    return upcoming[0] if upcoming else ordered[-1][1]


def overdue_kinds(schedule: DeskSchedule, zone: ZoneInfo, now: datetime) -> list[str]:
    """Kinds whose deadline has passed."""
    if schedule.election_day is None:
        return []
    return sorted(
        kind
        for kind, rule in schedule.deadlines.items()
        if rule.when.resolve(schedule.election_day, zone) <= now
    )
