"""The desk's schedule: deadlines per kind, reminder offsets, digest times, and their arithmetic.

Everything here is pure: local times are resolved against the election day and a zone given
as a parameter, and the slots (every reminder, escalation and digest the schedule implies) are
computed from the schedule alone, so they can be table-tested and recomputed at every tick.

A day is written relative to the election day (`H-1`, `H`, `H+1`) or as a date
(`2024-02-13`); a moment adds a local time (`H-1 18:00`, `2024-02-13 18:00`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.checkins.kinds import Kind
from domain.regions import DeskZone, zone_for_province

_DAY_RE = re.compile(r"^\s*(?:H\s*(?:([+-])\s*(\d{1,2}))?|(\d{4}-\d{2}-\d{2}))\s*$", re.IGNORECASE)
_CLOCK_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")
_OFFSET_RE = re.compile(r"^\s*(\d{1,4})\s*(h|j|jam|m|mnt|menit)?\s*$", re.IGNORECASE)


# English sentences for the config file and the command line; chat words each code through
# the catalogue (`digest.schedule_problem.<code>`) with the same values.
_PROBLEMS = {
    "not_a_day": "'{value}' is not a day like H-1, H, H+1 or 2024-02-13",
    "not_a_date": "'{value}' is not a real date",
    "not_a_time": "'{value}' is not a time like 07:00",
    "needs_day_and_time": "'{value}' needs a day and a time, like 'H-1 18:00'",
    "not_an_offset": "'{value}' is not an offset like 3h, 30m or 45",
    "offset_range": "an offset must be between 1 minute and 7 days, not {value}",
    "unknown_zone": "unknown time zone '{value}'",
    "unknown_settings": "unknown setting(s): {value}",
    "election_day": "election_day '{value}' is not a date like 2024-02-14",
    "bad_scope": "scope '{value}' is not a region code",
    "not_a_kind": "'{value}' is not one of {kinds}",
    "deadline_needs_at": 'deadline for {value} needs at = "H-1 18:00"',
    "usage_pengingat": "usage: /pengingat KIND 3j,1j,15m",
    "no_deadline": "{value} has no deadline yet: /tenggat {value} H 07:00",
    "usage_jadwalrekap": "usage: /jadwalrekap 06:00,12:00,18:00",
    "rehearsal_needs_after": 'deadline for {value} needs after = "30m"',
    "rehearsal_empty": "a rehearsal needs at least one deadline or digest",
    "rehearsal_word": "'{value}' is not like siap=30m",
    "rehearsal_too_long": "a rehearsal time must be within three days of its start",
}


class ScheduleError(ValueError):
    """A deadline, offset, time or config value that cannot be understood: `code` names the
    problem, `values` fill its sentence; `str()` is the English one."""

    def __init__(self, code: str, **values: object) -> None:
        self.code = code
        self.values = values
        super().__init__(_PROBLEMS[code].format(**values))


@dataclass(frozen=True, slots=True)
class Day:
    """A day relative to the election day (`offset`) or a fixed date."""

    offset: int | None = 0
    fixed: date | None = None

    def resolve(self, election_day: date) -> date:
        if self.fixed is not None:
            return self.fixed
        return election_day + timedelta(days=self.offset or 0)

    def text(self) -> str:
        if self.fixed is not None:
            return self.fixed.isoformat()
        offset = self.offset or 0
        return "H" if offset == 0 else f"H{offset:+d}"


@dataclass(frozen=True, slots=True)
class When:
    """A local moment: a day and a time of day."""

    day: Day
    at: time

    def resolve(self, election_day: date, zone: ZoneInfo) -> datetime:
        """The moment in UTC."""
        local = datetime.combine(self.day.resolve(election_day), self.at, tzinfo=zone)
        return local.astimezone(UTC)

    def text(self) -> str:
        return f"{self.day.text()} {self.at.strftime('%H:%M')}"


def parse_day(text: str) -> Day:
    match = _DAY_RE.match(text)
    if not match:
        raise ScheduleError("not_a_day", value=text)
    sign, number, fixed = match.groups()
    if fixed:
        try:
            return Day(offset=None, fixed=date.fromisoformat(fixed))
        except ValueError as exc:
            raise ScheduleError("not_a_date", value=text) from exc
    return Day(offset=(-1 if sign == "-" else 1) * int(number) if number else 0)


def parse_clock(text: str) -> time:
    match = _CLOCK_RE.match(text)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ScheduleError("not_a_time", value=text)
    return time(int(match.group(1)), int(match.group(2)))


def parse_when(text: str) -> When:
    """`H-1 18:00`, `H 07:00`, `H+1 9.30` or `2024-02-13 18:00`."""
    parts = text.strip().rsplit(maxsplit=1)
    if len(parts) != 2:
        raise ScheduleError("needs_day_and_time", value=text)
    return When(parse_day(parts[0]), parse_clock(parts[1]))


def parse_offsets(values: str | list[Any] | tuple[Any, ...]) -> tuple[int, ...]:
    """Reminder offsets in minutes before a deadline, largest first: `3h,1h,15m` or `180,60,15`.

    A bare number is minutes; `h`/`j`/`jam` hours. Duplicates collapse; zero is refused
    (the escalation itself happens at the deadline).
    """
    items = values.split(",") if isinstance(values, str) else list(values)
    minutes: set[int] = set()
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            value = item
        else:
            match = _OFFSET_RE.match(str(item))
            if not match:
                raise ScheduleError("not_an_offset", value=item)
            unit = (match.group(2) or "m").lower()
            value = int(match.group(1)) * (60 if unit in ("h", "j", "jam") else 1)
        if not 1 <= value <= 7 * 24 * 60:
            raise ScheduleError("offset_range", value=item)
        minutes.add(value)
    return tuple(sorted(minutes, reverse=True))


def offset_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}h{rest}m"
    return f"{hours}h" if hours else f"{rest}m"


def desk_zone(override: str | None, province_code: str | None) -> ZoneInfo:
    """The desk's zone: an override (WIB, WITA, WIT or an IANA name) or the province's."""
    if override:
        name = override.strip()
        if name.upper() in DeskZone.__members__:
            return ZoneInfo(DeskZone[name.upper()].value)
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ScheduleError("unknown_zone", value=override) from exc
    return ZoneInfo(zone_for_province(province_code or "31").value)


def zone_abbreviation(zone: ZoneInfo) -> str:
    for member in DeskZone:
        if member.value == zone.key:
            return member.name
    return zone.key


def desk_time(moment: datetime, zone: ZoneInfo) -> str:
    """A stored (UTC) moment as people at the desk read it: `13/02 08:00 WIB`."""
    return f"{moment.astimezone(zone).strftime('%d/%m %H:%M')} {zone_abbreviation(zone)}"


def desk_date(moment: datetime, zone: ZoneInfo) -> str:
    """A stored (UTC) moment's day at the desk: `13/02/2024` (not UTC's day, which differs
    between 00:00 and 07:00 WIB)."""
    return moment.astimezone(zone).strftime("%d/%m/%Y")


@dataclass(frozen=True, slots=True)
class Deadline:
    kind: str
    when: When
    reminders: tuple[int, ...] = ()


DEFAULT_DIGEST_TIMES = (time(6), time(9), time(12), time(15), time(18), time(21))


@dataclass(frozen=True, slots=True)
class DeskSchedule:
    """What the desk config file (and admins in chat) set."""

    election_day: date | None = None
    timezone: str | None = None
    scope: str | None = None
    deadlines: dict[str, Deadline] = field(default_factory=dict)
    digest_times: tuple[time, ...] = DEFAULT_DIGEST_TIMES
    digest_from: Day = Day(-2)
    digest_until: Day = Day(1)

    def with_deadline(self, deadline: Deadline) -> DeskSchedule:
        return replace(self, deadlines={**self.deadlines, deadline.kind: deadline})

    def without_deadline(self, kind: str) -> DeskSchedule:
        return replace(self, deadlines={k: v for k, v in self.deadlines.items() if k != kind})

    def to_dict(self) -> dict[str, Any]:
        """The TOML-shaped form (also what the database stores)."""
        data: dict[str, Any] = {
            "digest": {
                "times": [t.strftime("%H:%M") for t in self.digest_times],
                "from": self.digest_from.text(),
                "until": self.digest_until.text(),
            },
            "deadlines": {
                kind: {"at": d.when.text(), "reminders": [offset_text(m) for m in d.reminders]}
                for kind, d in sorted(self.deadlines.items())
            },
        }
        if self.election_day is not None:
            data["election_day"] = self.election_day.isoformat()
        if self.timezone:
            data["timezone"] = self.timezone
        if self.scope is not None:
            data["scope"] = self.scope
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeskSchedule:
        """Validate a parsed config file (or stored document); raise `ScheduleError`."""
        known = {"election_day", "timezone", "scope", "digest", "deadlines"}
        unknown = set(data) - known
        if unknown:
            raise ScheduleError("unknown_settings", value=", ".join(sorted(unknown)))
        election_day = data.get("election_day")
        if isinstance(election_day, str):
            try:
                election_day = date.fromisoformat(election_day)
            except ValueError as exc:
                raise ScheduleError("election_day", value=election_day) from exc
        if election_day is not None and not isinstance(election_day, date):
            raise ScheduleError("election_day", value=election_day)
        timezone = data.get("timezone") or None
        if timezone:
            desk_zone(str(timezone), None)
        scope = data.get("scope")
        if scope is not None and not (str(scope) == "" or str(scope).isdigit()):
            raise ScheduleError("bad_scope", value=scope)
        digest = data.get("digest", {})
        times = tuple(sorted({parse_clock(str(t)) for t in digest.get("times", [])}))
        deadlines: dict[str, Deadline] = {}
        for kind, rule in (data.get("deadlines") or {}).items():
            if kind not in Kind.__members__.values():
                raise ScheduleError(
                    "not_a_kind", value=kind, kinds="logistik, siap, banjir, sinyal, kejadian"
                )
            if not isinstance(rule, dict) or "at" not in rule:
                raise ScheduleError("deadline_needs_at", value=kind)
            deadlines[kind] = Deadline(
                kind, parse_when(str(rule["at"])), parse_offsets(rule.get("reminders", []))
            )
        return cls(
            election_day=election_day,
            timezone=str(timezone) if timezone else None,
            scope=str(scope) if scope is not None else None,
            deadlines=deadlines,
            digest_times=times if "times" in digest else DEFAULT_DIGEST_TIMES,
            digest_from=parse_day(str(digest.get("from", "H-2"))),
            digest_until=parse_day(str(digest.get("until", "H+1"))),
        )
