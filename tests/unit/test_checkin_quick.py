"""The one-line grammar: what parses into which report, and what is refused and why."""

from __future__ import annotations

from typing import Any

import pytest

from domain.checkins.kinds import Kind
from domain.checkins.quick import EXAMPLES, MAX_LENGTH, looks_like_quick, parse_quick
from domain.checkins.reports import payload_of
from domain.checkins.rules import Problem

GOOD: list[tuple[str, Kind, str | None, dict[str, Any]]] = [
    ("LOGISTIK LENGKAP 250", Kind.LOGISTIK, None, {"status": "complete", "expected": 250}),
    ("logistik lengkap", Kind.LOGISTIK, None, {"status": "complete", "expected": None}),
    ("LOGISTIK KURANG 250 DPD 240 DPR 200", Kind.LOGISTIK, None,
     {"status": "incomplete", "received": {"dpd": 240, "dpr": 200}}),
    ("LOGISTIK KURANG tinta 1 botol", Kind.LOGISTIK, None,
     {"status": "incomplete", "note": "tinta 1 botol"}),
    ("LOG RUSAK DPR kotak basah", Kind.LOGISTIK, None,
     {"status": "damaged", "affected": "dpr", "note": "kotak basah"}),
    ("SIAP 06:30 7", Kind.SIAP, None, {"ready": True, "time": "06:30", "officers": 7}),
    ("siap   tidak 7.15 5 akses tidak tenda, roboh", Kind.SIAP, None,
     {"ready": False, "time": "07:15", "officers": 5, "accessible": False, "problem": "tenda, roboh"}),
    ("BANJIR 40 PINDAH balai desa", Kind.BANJIR, None,
     {"water_cm": 40, "usable": False, "relocate": True, "place": "balai desa"}),
    ("banjir matakaki bisa", Kind.BANJIR, None, {"water_cm": 10, "usable": True, "relocate": False}),
    ("BANJIR 20 cm TIDAK BISA BASAH", Kind.BANJIR, None,
     {"water_cm": 20, "usable": False, "logistics_safe": False}),
    ("Banjir kering", Kind.BANJIR, None, {"water_cm": 0, "usable": True}),
    ("SINYAL LEMAH TSEL CARI bukit belakang sekolah", Kind.SINYAL, None,
     {"level": "weak", "operator": "telkomsel", "fallback": "place", "place": "bukit belakang sekolah"}),
    ("sinyal tidak ada manual", Kind.SINYAL, None, {"level": "none", "fallback": "manual"}),
    ("SINYAL BAGUS", Kind.SINYAL, None, {"level": "good", "fallback": None}),
    ("KEJADIAN KEAMANAN TINGGI massa berkumpul", Kind.KEJADIAN, None,
     {"category": "security", "severity": "high", "text": "massa berkumpul", "resolved": False}),
    ("kejadian hoaks selesai kabar TPS pindah", Kind.KEJADIAN, None,
     {"category": "hoax", "severity": "medium", "resolved": True, "text": "kabar TPS pindah"}),
    ("3672011001-3 BANJIR 40", Kind.BANJIR, "3672011001-003", {"water_cm": 40}),
    ("3672011001/012 sinyal bagus", Kind.SINYAL, "3672011001-012", {"level": "good"}),
]  # fmt: skip


@pytest.mark.parametrize(("line", "kind", "tps", "expected"), GOOD, ids=[g[0][:40] for g in GOOD])
def test_lines_that_parse(line: str, kind: Kind, tps: str | None, expected: dict[str, Any]) -> None:
    parsed = parse_quick(line)
    assert (parsed.kind, parsed.tps) == (kind, tps)
    payload = payload_of(parsed.report)
    assert {k: payload.get(k) for k in expected} == expected


BAD: list[tuple[str, str, str, str]] = [
    ("halo pak", "unknown_kind", "", ""),
    ("", "unknown_kind", "", ""),
    ("3672011001-003", "unknown_kind", "", ""),
    ("BANJIR", "missing", "water_cm", "banjir"),
    ("BANJIR dalam", "not_a_number", "water_cm", "banjir"),
    ("BANJIR 400", "out_of_range", "water_cm", "banjir"),
    ("BANJIR 40 PINDAH", "place_needed", "place", "banjir"),
    ("BANJIR 40 PINDAH ab", "text_too_short", "place", "banjir"),
    ("BANJIR 40 hujan", "unknown_word", "", "banjir"),
    ("SIAP 25:00 7", "bad_time", "time", "siap"),
    ("SIAP 06:30 9", "out_of_range", "officers", "siap"),
    ("SIAP 06:30", "missing", "officers", "siap"),
    ("SIAP 06:30 7 AKSES mungkin", "unknown_word", "accessible", "siap"),
    ("LOGISTIK", "missing", "status", "logistik"),
    ("LOGISTIK HILANG", "unknown_word", "status", "logistik"),
    ("LOGISTIK KURANG 250", "say_what_is_short", "note", "logistik"),
    ("LOGISTIK KURANG 250 DPD 260", "not_short", "received", "logistik"),
    ("LOGISTIK KURANG 250 GUB 10", "unknown_type", "received", "logistik"),
    ("LOGISTIK KURANG 250 DPD", "missing", "received", "logistik"),
    ("LOGISTIK RUSAK", "say_what_is_damaged", "note", "logistik"),
    ("SINYAL SEDANG", "unknown_word", "level", "sinyal"),
    ("SINYAL LEMAH NOKIA", "unknown_word", "", "sinyal"),
    ("KEJADIAN ALIEN tinggi", "unknown_word", "category", "kejadian"),
    ("KEJADIAN HOAKS ok", "text_too_short", "text", "kejadian"),
    ("KEJADIAN KEAMANAN " + "x" * 150, "too_long", "", ""),
]


@pytest.mark.parametrize(
    ("line", "code", "field", "kind"), BAD, ids=[b[0][:30] or "empty" for b in BAD]
)
def test_lines_that_do_not_parse_say_why(line: str, code: str, field: str, kind: str) -> None:
    with pytest.raises(Problem) as caught:
        parse_quick(line)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert caught.value.params.get("kind", "") == kind


def test_every_example_parses_fits_and_is_its_kind() -> None:
    assert set(EXAMPLES) == set(Kind)
    for kind, example in EXAMPLES.items():
        assert len(example) <= MAX_LENGTH
        assert parse_quick(example).kind is kind
        assert parse_quick(example.lower()).kind is kind


def test_a_line_of_exactly_160_characters_is_accepted() -> None:
    line = "KEJADIAN LAIN " + "a" * (MAX_LENGTH - 14)
    assert len(line) == MAX_LENGTH
    assert parse_quick(line).kind is Kind.KEJADIAN


def test_pilkada_lines_name_pilkada_ballots() -> None:
    parsed = parse_quick("LOGISTIK KURANG 300 GUBERNUR 290", election="pilkada")
    assert payload_of(parsed.report)["received"] == {"gub": 290}
    with pytest.raises(Problem, match="unknown_type"):
        parse_quick("LOGISTIK KURANG 300 DPD 290", election="pilkada")


@pytest.mark.parametrize(
    ("line", "looks"),
    [("banjir 40", True), ("3672011001-003 SIAP 7:00 7", True), ("halo", False), ("", False),
     ("siapa ini?", False)],
)  # fmt: skip
def test_what_looks_like_a_quick_line(line: str, looks: bool) -> None:
    assert looks_like_quick(line) is looks
