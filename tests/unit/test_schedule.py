"""Deadline arithmetic, offsets, the config format and the slots a schedule implies."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.schedule import (
    Deadline,
    DeskSchedule,
    ScheduleError,
    desk_date,
    desk_time,
    desk_zone,
    parse_day,
    parse_offsets,
    parse_when,
    zone_abbreviation,
)
from domain.slots import Fate, SlotKind, due, focus_kind, next_fire, overdue_kinds, slots

ELECTION = date(2024, 2, 14)


@pytest.mark.parametrize(
    ("spec", "zone", "election", "expected_utc"),
    [
        ("H-1 18:00", "WIB", ELECTION, datetime(2024, 2, 13, 11, 0, tzinfo=UTC)),
        ("H 07:00", "WIB", ELECTION, datetime(2024, 2, 14, 0, 0, tzinfo=UTC)),
        ("H 07:00", "WITA", ELECTION, datetime(2024, 2, 13, 23, 0, tzinfo=UTC)),
        ("H 07:00", "WIT", ELECTION, datetime(2024, 2, 13, 22, 0, tzinfo=UTC)),
        ("H 00:00", "WIB", ELECTION, datetime(2024, 2, 13, 17, 0, tzinfo=UTC)),
        ("H-1 23:59", "WIT", ELECTION, datetime(2024, 2, 13, 14, 59, tzinfo=UTC)),
        ("H-1 06:00", "WIB", date(2024, 3, 1), datetime(2024, 2, 28, 23, 0, tzinfo=UTC)),
        ("H+1 01:30", "WITA", date(2024, 12, 31), datetime(2024, 12, 31, 17, 30, tzinfo=UTC)),
        ("H-2 9.15", "WIB", date(2024, 3, 1), datetime(2024, 2, 28, 2, 15, tzinfo=UTC)),
        ("2024-02-13 18:00", "WIB", ELECTION, datetime(2024, 2, 13, 11, 0, tzinfo=UTC)),
        ("h - 1 18:00", "WIB", ELECTION, datetime(2024, 2, 13, 11, 0, tzinfo=UTC)),
    ],
    ids=[
        "logistics-H-1-WIB",
        "ready-H-WIB",
        "ready-WITA-previous-UTC-day",
        "ready-WIT",
        "local-midnight",
        "WIT-late-evening",
        "leap-year-month-edge",
        "year-edge-WITA",
        "dot-clock-month-edge",
        "absolute-date",
        "loose-spacing",
    ],
)
def test_deadline_resolves_in_the_desk_zone(
    spec: str, zone: str, election: date, expected_utc: datetime
) -> None:
    assert parse_when(spec).resolve(election, desk_zone(zone, None)) == expected_utc


@pytest.mark.parametrize(
    ("override", "province", "expected"),
    [
        (None, "36", "WIB"),
        (None, "62", "WIB"),  # Kalimantan Tengah
        (None, "64", "WITA"),  # Kalimantan Timur
        (None, "51", "WITA"),  # Bali
        (None, "73", "WITA"),  # Sulawesi Selatan
        (None, "81", "WIT"),  # Maluku
        (None, "91", "WIT"),  # Papua
        ("WITA", "36", "WITA"),
        ("Asia/Jayapura", "36", "WIT"),
    ],
    ids=["banten", "kalteng", "kaltim", "bali", "sulsel", "maluku", "papua", "override", "iana"],
)
def test_zone_follows_the_province_unless_overridden(
    override: str | None, province: str, expected: str
) -> None:
    assert zone_abbreviation(desk_zone(override, province)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3h,1h,15m", (180, 60, 15)),
        ("180, 60, 15", (180, 60, 15)),
        ("15,60,15", (60, 15)),
        ("2j,30mnt", (120, 30)),
        (["3h", 45], (180, 45)),
    ],
    ids=["units", "minutes", "dupes-sorted", "indonesian-units", "list"],
)
def test_offsets(raw: object, expected: tuple[int, ...]) -> None:
    assert parse_offsets(raw) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad", ["0", "abc", "3x", "20000"], ids=["zero", "word", "unit", "too-far"]
)
def test_bad_offsets_are_refused(bad: str) -> None:
    with pytest.raises(ScheduleError):
        parse_offsets(bad)


@pytest.mark.parametrize(
    "bad",
    ["H-1", "18:00", "H-1 25:00", "X 07:00", "2024-02-30 07:00"],
    ids=["no-time", "no-day", "bad-hour", "bad-day", "bad-date"],
)
def test_bad_moments_are_refused(bad: str) -> None:
    with pytest.raises(ScheduleError):
        parse_when(bad)


def test_day_texts_round_trip() -> None:
    for text in ("H", "H-1", "H+2", "2024-02-13"):
        assert parse_day(text).text() == text


def _schedule(**kwargs: object) -> DeskSchedule:
    base: dict[str, object] = {
        "election_day": "2024-02-14",
        "deadlines": {
            "logistik": {"at": "H-1 18:00", "reminders": ["3h", "1h"]},
            "siap": {"at": "H 07:00", "reminders": ["30m"]},
        },
        "digest": {"times": ["06:00", "18:00"], "from": "H-1", "until": "H"},
    }
    base.update(kwargs)
    return DeskSchedule.from_dict(base)


def test_config_round_trips_through_the_stored_document() -> None:
    schedule = _schedule(timezone="WITA", scope="73")
    assert DeskSchedule.from_dict(schedule.to_dict()) == schedule


@pytest.mark.parametrize(
    "change",
    [
        {"deadlines": {"pemilu": {"at": "H 07:00"}}},
        {"deadlines": {"siap": {"reminders": ["1h"]}}},
        {"election_day": "14-02-2024"},
        {"timezone": "Mars/Olympus"},
        {"whatever": 1},
    ],
    ids=["unknown-kind", "no-at", "bad-day", "bad-zone", "unknown-key"],
)
def test_bad_config_is_refused_with_a_reason(change: dict[str, object]) -> None:
    with pytest.raises(ScheduleError):
        _schedule(**change)


def test_slots_of_a_schedule_with_their_grace_windows() -> None:
    wib = desk_zone("WIB", None)
    found = {s.key: s for s in slots(_schedule(), wib)}
    assert sorted(found) == sorted(
        [
            "reminder:logistik:2024-02-13T18:00+07:00:180",
            "reminder:logistik:2024-02-13T18:00+07:00:60",
            "escalation:logistik:2024-02-13T18:00+07:00",
            "reminder:siap:2024-02-14T07:00+07:00:30",
            "escalation:siap:2024-02-14T07:00+07:00",
            "digest:2024-02-13T06:00+07:00",
            "digest:2024-02-13T18:00+07:00",
            "digest:2024-02-14T06:00+07:00",
            "digest:2024-02-14T18:00+07:00",
        ]
    )
    reminder = found["reminder:logistik:2024-02-13T18:00+07:00:180"]
    assert reminder.kind is SlotKind.REMINDER and reminder.subject == "logistik"
    assert reminder.due_at == datetime(2024, 2, 13, 8, 0, tzinfo=UTC)
    assert reminder.useful_until == datetime(2024, 2, 13, 11, 0, tzinfo=UTC)
    escalation = found["escalation:siap:2024-02-14T07:00+07:00"]
    assert escalation.useful_until - escalation.due_at == timedelta(hours=2)
    morning = found["digest:2024-02-13T06:00+07:00"]
    # a digest is useful until just before the next one, at most three hours
    assert morning.useful_until == morning.due_at + timedelta(hours=3)
    last = found["digest:2024-02-14T18:00+07:00"]
    assert last.useful_until == last.due_at + timedelta(hours=3)


def test_back_to_back_digests_expire_when_the_next_is_due() -> None:
    wib = desk_zone("WIB", None)
    schedule = _schedule(digest={"times": ["06:00", "07:00"], "from": "H", "until": "H"})
    first, second = [s for s in slots(schedule, wib) if s.kind is SlotKind.DIGEST]
    assert first.key.startswith("digest:") and second.key.startswith("digest:")
    assert first.useful_until == second.due_at - timedelta(seconds=1)


@pytest.mark.parametrize(
    ("minutes_after_due", "fate"),
    [(-1, Fate.WAIT), (0, Fate.SEND), (179, Fate.SEND), (180, Fate.SEND), (181, Fate.MISSED)],
    ids=["early", "on-time", "late-within-grace", "grace-edge", "past-grace"],
)
def test_a_reminder_is_sent_until_its_deadline(minutes_after_due: int, fate: Fate) -> None:
    wib = desk_zone("WIB", None)
    reminder = next(s for s in slots(_schedule(), wib) if s.key.endswith(":180"))
    assert reminder.fate(reminder.due_at + timedelta(minutes=minutes_after_due)) is fate


def test_next_fire_due_focus_and_overdue() -> None:
    wib = desk_zone("WIB", None)
    schedule = _schedule()
    all_slots = slots(schedule, wib)
    now = datetime(2024, 2, 13, 9, 0, tzinfo=UTC)  # 16:00 WIB on H-1
    upcoming = next_fire(all_slots, now)
    assert upcoming is not None and upcoming.key == "reminder:logistik:2024-02-13T18:00+07:00:60"
    assert [s.key for s in due(all_slots, now)] == [
        "digest:2024-02-13T06:00+07:00",
        "reminder:logistik:2024-02-13T18:00+07:00:180",
    ]
    assert focus_kind(schedule, wib, now) == "logistik"
    assert overdue_kinds(schedule, wib, now) == []
    later = datetime(2024, 2, 13, 12, 0, tzinfo=UTC)
    assert focus_kind(schedule, wib, later) == "siap"
    assert overdue_kinds(schedule, wib, later) == ["logistik"]
    assert focus_kind(schedule, wib, datetime(2024, 2, 15, tzinfo=UTC)) == "siap"


def test_no_election_day_means_no_slots() -> None:
    schedule = DeskSchedule(deadlines={"siap": Deadline("siap", parse_when("H 07:00"))})
    assert slots(schedule, desk_zone("WIB", None)) == []
    assert DeskSchedule().digest_times[0] == time(6)


@pytest.mark.parametrize(
    ("moment", "zone", "shown"),
    [
        (datetime(2024, 2, 13, 1, 0, tzinfo=UTC), "Asia/Jakarta", "13/02 08:00 WIB"),
        (datetime(2024, 2, 13, 17, 30, tzinfo=UTC), "Asia/Jakarta", "14/02 00:30 WIB"),
        (datetime(2024, 2, 13, 1, 0, tzinfo=UTC), "Asia/Makassar", "13/02 09:00 WITA"),
        (datetime(2024, 2, 13, 1, 0, tzinfo=UTC), "Asia/Jayapura", "13/02 10:00 WIT"),
    ],
    ids=["wib", "wib-next-day", "wita", "wit"],
)
def test_a_stored_moment_is_shown_in_the_desks_zone(
    moment: datetime, zone: str, shown: str
) -> None:
    assert desk_time(moment, ZoneInfo(zone)) == shown


def test_a_stored_moments_day_is_the_desks_day() -> None:
    night = datetime(2024, 2, 13, 18, 30, tzinfo=UTC)  # 14/02 01:30 WIB, still 13/02 in UTC
    assert desk_date(night, ZoneInfo("Asia/Jakarta")) == "14/02/2024"
    assert desk_date(night, ZoneInfo("UTC")) == "13/02/2024"
