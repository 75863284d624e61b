"""Rehearsals (simulasi): a compressed practice schedule that runs beside the real one.

A rehearsal plan says, relative to the moment the rehearsal starts, when each kind's deadline
falls, the reminder offsets before it, and when digests go. From the plan and the start time
the slots are computed (pure, like `domain.slots`), with keys prefixed `sim<id>:` so they
never collide with the real schedule's keys, and each slot carries the rehearsal's id.

The plan's TOML (`deskbot rehearsal start --config FILE`, see `rehearsal.example.toml`):

    [digest]
    after = ["20m", "45m"]          # digests this long after the start

    [deadlines.logistik]
    after = "30m"                   # the deadline, this long after the start
    reminders = ["15m", "5m"]       # before the deadline, as in the desk's file

In chat the same is typed as `siap=30m logistik=45m rekap=20m,45m` (reminders then default
to 10 and 5 minutes before each deadline, where they fit).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.checkins.kinds import Kind
from domain.schedule import (
    Day,
    Deadline,
    DeskSchedule,
    ScheduleError,
    When,
    parse_offsets,
)
from domain.slots import DIGEST_GRACE, SlotDef, SlotKind, slots

MAX_MINUTES = 3 * 24 * 60  # a rehearsal longer than three days is a mistake
TYPED_REMINDERS = (10, 5)
DIGEST_KEY = "rekap"


class RehearsalStatus(StrEnum):
    RUNNING = "running"
    ENDED = "ended"
    DELETED = "deleted"  # its data is gone; the row stays as the audit trail


class EventKind(StrEnum):
    """What an officer needed help with during a rehearsal (stored only while one runs)."""

    FAILED_LINE = "failed_line"
    CANCELLED_DRAFT = "cancelled_draft"


def slot_prefix(rehearsal_id: int) -> str:
    return f"sim{rehearsal_id}:"


@dataclass(frozen=True, slots=True)
class PlanDeadline:
    after: int  # minutes after the start
    reminders: tuple[int, ...] = ()  # minutes before the deadline


@dataclass(frozen=True, slots=True)
class RehearsalPlan:
    """Deadlines and digests in minutes after the start."""

    deadlines: dict[str, PlanDeadline] = field(default_factory=dict)
    digests: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The TOML-shaped form (also what the `rehearsal` row stores)."""
        # Plain minutes: `offset_text` writes 75 as "1h15m", which the parser does not read.
        return {
            "digest": {"after": list(self.digests)},
            "deadlines": {
                kind: {"after": d.after, "reminders": list(d.reminders)}
                for kind, d in sorted(self.deadlines.items())
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RehearsalPlan:
        """Validate a parsed TOML plan; raise `ScheduleError` naming what is wrong."""
        unknown = set(data) - {"digest", "deadlines"}
        if unknown:
            raise ScheduleError("unknown_settings", value=", ".join(sorted(unknown)))
        digests = _minutes(data.get("digest", {}).get("after", []))
        deadlines: dict[str, PlanDeadline] = {}
        for kind, rule in (data.get("deadlines") or {}).items():
            if kind not in Kind.__members__.values():
                raise ScheduleError(
                    "not_a_kind", value=kind, kinds=", ".join(k.value for k in Kind)
                )
            if not isinstance(rule, dict) or "after" not in rule:
                raise ScheduleError("rehearsal_needs_after", value=kind)
            after = _minutes([rule["after"]])[0]
            reminders = parse_offsets(rule.get("reminders", []))
            deadlines[kind] = PlanDeadline(after, tuple(m for m in reminders if m < after))
        if not deadlines and not digests:
            raise ScheduleError("rehearsal_empty")
        return cls(deadlines, digests)

    @classmethod
    def from_words(cls, words: list[str]) -> RehearsalPlan:
        """`siap=30m logistik=45m rekap=20m,45m` as typed after `/simulasi mulai`."""
        deadlines: dict[str, Any] = {}
        digest: list[str] = []
        for word in words:
            name, sep, value = word.partition("=")
            name = name.strip().lower()
            if not sep or not value:
                raise ScheduleError("rehearsal_word", value=word)
            if name == DIGEST_KEY:
                digest += value.split(",")
            else:
                deadlines[name] = {"after": value, "reminders": list(TYPED_REMINDERS)}
        return cls.from_dict({"digest": {"after": digest}, "deadlines": deadlines})

    def schedule(self, started_at: datetime, zone: ZoneInfo) -> DeskSchedule:
        """The deadlines as a desk schedule (fixed dates, no daily digests), so the real
        schedule's arithmetic (reminders, escalations, focus and overdue kinds) applies."""
        deadlines = {}
        for kind, rule in self.deadlines.items():
            local = (started_at + timedelta(minutes=rule.after)).astimezone(zone)
            when = When(Day(offset=None, fixed=local.date()), time(local.hour, local.minute))
            deadlines[kind] = Deadline(kind, when, rule.reminders)
        return DeskSchedule(
            election_day=started_at.astimezone(zone).date(), deadlines=deadlines, digest_times=()
        )


DEFAULT_PLAN = RehearsalPlan(
    deadlines={
        Kind.LOGISTIK.value: PlanDeadline(30, (15, 5)),
        Kind.SIAP.value: PlanDeadline(60, (15, 5)),
    },
    digests=(20, 45, 75),
)


def _minutes(values: list[Any]) -> tuple[int, ...]:
    found = sorted(set(parse_offsets([str(v).lstrip("+") for v in values])))
    if any(m > MAX_MINUTES for m in found):
        raise ScheduleError("rehearsal_too_long")
    return tuple(found)


def rehearsal_slots(
    plan: RehearsalPlan, *, rehearsal_id: int, started_at: datetime, zone: ZoneInfo
) -> list[SlotDef]:
    """Every reminder, escalation and digest of the rehearsal, keyed `sim<id>:...`."""
    prefix = slot_prefix(rehearsal_id)
    found = [
        replace(s, key=prefix + s.key, rehearsal_id=rehearsal_id)
        for s in slots(plan.schedule(started_at, zone), zone)
    ]
    moments = [started_at + timedelta(minutes=m) for m in plan.digests]
    for index, due in enumerate(moments):
        limit = due + DIGEST_GRACE
        if index + 1 < len(moments):
            limit = min(limit, moments[index + 1] - timedelta(seconds=1))
        found.append(
            SlotDef(
                key=f"{prefix}digest:{due.astimezone(UTC).isoformat(timespec='seconds')}",
                kind=SlotKind.DIGEST,
                subject="",
                due_at=due,
                useful_until=limit,
                rehearsal_id=rehearsal_id,
            )
        )
    return sorted(found, key=lambda s: (s.due_at, s.key))


@dataclass(frozen=True, slots=True)
class PersonLine:
    """One officer in the rehearsal report."""

    name: str
    role: str
    scope: str
    filed: int = 0
    kinds: tuple[str, ...] = ()
    failed_lines: int = 0
    cancelled: int = 0

    @property
    def needed_help(self) -> bool:
        return bool(self.failed_lines or self.cancelled)


@dataclass(frozen=True, slots=True)
class RehearsalReport:
    """Who filed, who never did, who needed help; and per kind how many TPS filed."""

    rehearsal_id: int
    started_at: datetime
    ended_at: datetime | None
    people: tuple[PersonLine, ...]
    tps_filed: dict[str, int]
    checkins: int

    @property
    def filed(self) -> list[PersonLine]:
        return [p for p in self.people if p.filed]

    @property
    def never(self) -> list[PersonLine]:
        return [p for p in self.people if not p.filed]

    @property
    def needed_help(self) -> list[PersonLine]:
        return [p for p in self.people if p.needed_help]


@dataclass(frozen=True, slots=True)
class RehearsalInfo:
    """A stored rehearsal."""

    id: int
    started_at: datetime
    ended_at: datetime | None
    started_by: int | None
    plan: RehearsalPlan
    status: RehearsalStatus
