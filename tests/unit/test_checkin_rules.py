"""Every rule a desk would check on a check-in, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from domain.checkins.elections import election_types, type_codes
from domain.checkins.kinds import Kind, Severity
from domain.checkins.reports import build, payload_of
from domain.checkins.rules import Problem, read_number, read_text, read_time

TIMES = [
    ("06:30", "06:30"),
    ("6:30", "06:30"),
    ("06.30", "06:30"),
    ("0630", "06:30"),
    ("630", "06:30"),
    ("7", "07:00"),
    (" 07:15 WIB ", "07:15"),
    ("23:59", "23:59"),
    ("00:00", "00:00"),
]
BAD_TIMES = ["25:00", "12:60", "24:00", "abc", "", "6:3", "12345", "👍", "-1:00"]


@pytest.mark.parametrize(("raw", "expected"), TIMES, ids=[t[0].strip() or "blank" for t in TIMES])
def test_a_time_is_read_forgivingly(raw: str, expected: str) -> None:
    assert read_time(raw) == expected


@pytest.mark.parametrize("raw", BAD_TIMES, ids=BAD_TIMES)
def test_a_time_that_is_not_a_real_time_is_refused(raw: str) -> None:
    with pytest.raises(Problem) as caught:
        read_time(raw)
    assert caught.value.code == "bad_time"


NUMBERS = [
    ("officers", "7", 7, None),
    ("officers", " 0 ", 0, None),
    ("officers", "8", None, "out_of_range"),
    ("officers", "-1", None, "not_a_number"),
    ("officers", "tujuh", None, "not_a_number"),
    ("officers", "👍", None, "not_a_number"),
    ("water_cm", "40 cm", 40, None),
    ("water_cm", "301", None, "out_of_range"),
    ("expected", "0", None, "out_of_range"),
    ("expected", "1000", 1000, None),
    ("received", "4O", None, "not_a_number"),
]


@pytest.mark.parametrize(
    ("field", "raw", "value", "code"), NUMBERS, ids=[f"{n[0]}={n[1].strip()}" for n in NUMBERS]
)
def test_numbers_are_whole_and_in_range(
    field: str, raw: str, value: int | None, code: str | None
) -> None:
    if code is None:
        assert read_number(raw, field) == value
    else:
        with pytest.raises(Problem) as caught:
            read_number(raw, field)
        assert (caught.value.code, caught.value.field) == (code, field)


def test_text_is_trimmed_and_bounded() -> None:
    assert read_text("  balai \n desa  ", "place") == "balai desa"
    with pytest.raises(Problem, match="text_too_short"):
        read_text("ab", "place")
    with pytest.raises(Problem, match="text_too_long"):
        read_text("x" * 101, "place")
    assert read_text("x" * 100, "place") == "x" * 100


def test_elections_come_from_configuration() -> None:
    assert type_codes("pemilu2024") == ("pres", "dpr", "dpd", "dprdprov", "dprdkab")
    assert type_codes("pilkada") == ("gub", "bup")
    with pytest.raises(ValueError, match="unknown election"):
        election_types("pileg1999")


OK_REPORTS: list[tuple[str, Kind, dict[str, Any], Severity]] = [
    ("logistik-complete", Kind.LOGISTIK, {"status": "complete", "expected": 250}, Severity.OK),
    (
        "logistik-short-ballots",
        Kind.LOGISTIK,
        {"status": "incomplete", "expected": 250, "received": {"dpd": 240}},
        Severity.WARN,
    ),
    (
        "logistik-short-note",
        Kind.LOGISTIK,
        {"status": "incomplete", "note": "tinta kurang 1"},
        Severity.WARN,
    ),
    (
        "logistik-damaged",
        Kind.LOGISTIK,
        {"status": "damaged", "note": "kotak basah"},
        Severity.SEVERE,
    ),
    ("siap-all-good", Kind.SIAP, {"ready": True, "time": "6:30", "officers": 7}, Severity.OK),
    (
        "siap-short-staffed",
        Kind.SIAP,
        {"ready": True, "time": "06:30", "officers": 5},
        Severity.WARN,
    ),
    (
        "siap-not-accessible",
        Kind.SIAP,
        {"ready": True, "time": "06:30", "officers": 7, "accessible": False},
        Severity.WARN,
    ),
    ("banjir-dry", Kind.BANJIR, {"water_cm": 0, "usable": True}, Severity.OK),
    ("banjir-ankle", Kind.BANJIR, {"water_cm": 10, "usable": True}, Severity.WARN),
    ("banjir-waist", Kind.BANJIR, {"water_cm": 80, "usable": True}, Severity.SEVERE),
    (
        "banjir-relocate",
        Kind.BANJIR,
        {"water_cm": 40, "usable": True, "relocate": True, "place": "balai desa"},
        Severity.SEVERE,
    ),
    ("banjir-unusable", Kind.BANJIR, {"water_cm": 40, "usable": False}, Severity.CRITICAL),
    ("sinyal-good", Kind.SINYAL, {"level": "good"}, Severity.OK),
    ("sinyal-weak", Kind.SINYAL, {"level": "weak", "fallback": "manual"}, Severity.WARN),
    (
        "sinyal-none",
        Kind.SINYAL,
        {"level": "none", "fallback": "place", "place": "bukit"},
        Severity.SEVERE,
    ),
    (
        "kejadian-critical",
        Kind.KEJADIAN,
        {"category": "security", "severity": "critical", "text": "massa ricuh"},
        Severity.CRITICAL,
    ),
    (
        "kejadian-high",
        Kind.KEJADIAN,
        {"category": "health", "severity": "high", "text": "petugas pingsan"},
        Severity.SEVERE,
    ),
    (
        "kejadian-resolved",
        Kind.KEJADIAN,
        {"category": "hoax", "severity": "high", "text": "hoaks TPS pindah", "resolved": True},
        Severity.OK,
    ),
]


@pytest.mark.parametrize(
    ("kind", "data", "severity"), [r[1:] for r in OK_REPORTS], ids=[r[0] for r in OK_REPORTS]
)
def test_valid_reports_and_their_severity(
    kind: Kind, data: dict[str, Any], severity: Severity
) -> None:
    assert build(kind, data).severity() is severity


BAD_REPORTS: list[tuple[str, Kind, dict[str, Any], str, str]] = [
    ("logistik-received-above-expected", Kind.LOGISTIK,
     {"status": "incomplete", "expected": 250, "received": {"dpd": 250}}, "not_short", "received"),
    ("logistik-received-without-expected", Kind.LOGISTIK,
     {"status": "incomplete", "received": {"dpd": 10}}, "expected_needed", "expected"),
    ("logistik-unknown-type", Kind.LOGISTIK,
     {"status": "incomplete", "expected": 250, "received": {"gub": 10}}, "unknown_type", "received"),
    ("logistik-complete-but-short", Kind.LOGISTIK,
     {"status": "complete", "expected": 250, "received": {"dpr": 10}}, "complete_but_short", "status"),
    ("logistik-short-says-nothing", Kind.LOGISTIK, {"status": "incomplete"}, "say_what_is_short", "note"),
    ("logistik-damaged-says-nothing", Kind.LOGISTIK, {"status": "damaged"}, "say_what_is_damaged", "note"),
    ("logistik-expected-zero", Kind.LOGISTIK, {"status": "complete", "expected": 0}, "out_of_range", "expected"),
    ("logistik-bad-status", Kind.LOGISTIK, {"status": "lost"}, "invalid", "status"),
    ("siap-eight-officers", Kind.SIAP, {"ready": True, "time": "06:30", "officers": 8}, "out_of_range", "officers"),
    ("siap-negative-officers", Kind.SIAP, {"ready": True, "time": "06:30", "officers": -1}, "out_of_range", "officers"),
    ("siap-bad-time", Kind.SIAP, {"ready": True, "time": "25:61", "officers": 7}, "bad_time", "time"),
    ("siap-long-problem", Kind.SIAP,
     {"ready": True, "time": "06:30", "officers": 7, "problem": "x" * 201}, "text_too_long", "problem"),
    ("banjir-too-deep", Kind.BANJIR, {"water_cm": 301, "usable": False}, "out_of_range", "water_cm"),
    ("banjir-relocate-nowhere", Kind.BANJIR,
     {"water_cm": 40, "usable": False, "relocate": True}, "place_needed", "place"),
    ("banjir-too-many-photos", Kind.BANJIR,
     {"water_cm": 0, "usable": True, "photos": ["a"] * 6}, "too_many_photos", "photo"),
    ("banjir-missing-usable", Kind.BANJIR, {"water_cm": 10}, "missing", "usable"),
    ("sinyal-unknown-operator", Kind.SINYAL, {"level": "weak", "operator": "nokia"}, "unknown_operator", "operator"),
    ("sinyal-place-needed", Kind.SINYAL, {"level": "none", "fallback": "place"}, "place_needed", "place"),
    ("sinyal-location-outside", Kind.SINYAL,
     {"level": "good", "location": {"latitude": 48.85, "longitude": 2.35}}, "location_outside", "location"),
    ("kejadian-short-text", Kind.KEJADIAN,
     {"category": "other", "severity": "low", "text": "ok"}, "text_too_short", "text"),
    ("kejadian-long-text", Kind.KEJADIAN,
     {"category": "other", "severity": "low", "text": "x" * 501}, "text_too_long", "text"),
    ("kejadian-bad-category", Kind.KEJADIAN,
     {"category": "alien", "severity": "low", "text": "sesuatu terjadi"}, "invalid", "category"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "data", "code", "field"), [r[1:] for r in BAD_REPORTS], ids=[r[0] for r in BAD_REPORTS]
)
def test_what_a_desk_would_reject_is_refused(
    kind: Kind, data: dict[str, Any], code: str, field: str
) -> None:
    with pytest.raises(Problem) as caught:
        build(kind, data)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_pilkada_logistics_know_only_its_ballots() -> None:
    data = {"status": "incomplete", "expected": 300, "received": {"gub": 290}}
    assert build(Kind.LOGISTIK, data, election="pilkada").severity() is Severity.WARN
    with pytest.raises(Problem, match="unknown_type"):
        build(Kind.LOGISTIK, {**data, "received": {"dpd": 290}}, election="pilkada")


def test_payload_keeps_the_keys_digests_rely_on() -> None:
    flood = payload_of(build(Kind.BANJIR, {"water_cm": 40, "usable": False}))
    assert (flood["water_cm"], flood["usable"], flood["level"]) == (40, False, "knee")
    signal = payload_of(build(Kind.SINYAL, {"level": "none"}))
    assert signal["level"] == "none"
    incident = payload_of(
        build(Kind.KEJADIAN, {"category": "hoax", "severity": "high", "text": "kabar bohong"})
    )
    assert (incident["severity"], incident["resolved"]) == ("high", False)
    assert "severity_level" not in incident
    again = build(Kind.KEJADIAN, incident)
    assert payload_of(again) == incident
