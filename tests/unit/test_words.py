"""The words people read and type: one vocabulary, button words accepted when typed, every
grammar word on /format, no English inside Indonesian, examples that exist in the KPU list."""

from __future__ import annotations

import csv
import gzip
import re

import pytest

from domain.checkins.kinds import Kind
from domain.checkins.quick import parse_quick, type_words
from domain.checkins.reports import payload_of
from domain.checkins.steps import FLOWS, StepKey, StepType, answer_typed, choices
from domain.roles import Role, ScopeError, ScopeProblem, check_scope, parse_role
from domain.schedule import ScheduleError, parse_when
from handlers.admin import scope_problem_text
from handlers.desk.schedule import schedule_problem
from tests.conftest import REPO, TPS_FILE
from views.checkins import describe
from views.texts import LANGUAGES, catalogue, text

ENGLISH = re.compile(r"\b(needs|not|level|role|scope|is|a|day|and|time)\b")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_what_a_button_says_is_accepted_when_typed(lang: str) -> None:
    """'Sepinggang atau lebih', 'Lemah', 'Darurat', 'XL/Axis'... typed give the button's value."""
    tried = 0
    for kind, steps in FLOWS.items():
        for step in steps:
            if step.type is StepType.NUMBER and step.key is StepKey.WATER:
                for cm in step.presets:
                    label = catalogue(lang)[f"checkin.opt.water_cm.{cm}"]
                    assert answer_typed(step, label, {}, election="pemilu2024") == cm, label
                    tried += 1
            if step.type is not StepType.CHOICE:
                continue
            for value in choices(step, "pemilu2024"):
                label = catalogue(lang).get(f"checkin.opt.{step.key.value}.{value}")
                if label is None:
                    continue  # ballot types: their own names
                got = answer_typed(step, label, {}, election="pemilu2024")
                assert got == value, (kind, label)
                tried += 1
    assert tried == 29  # every labelled option of every step


@pytest.mark.parametrize("word", ["Sepinggang", "sepinggang atau lebih", "PINGGANG", "80"])
def test_sepinggang_typed_in_the_guided_flood_step(word: str) -> None:
    (water,) = [s for s in FLOWS[Kind.BANJIR] if s.key is StepKey.WATER]
    assert answer_typed(water, word, {}, election="pemilu2024") == 80


def format_text(lang: str) -> str:
    parts = [text(lang, "checkin.format.logistik", types=", ".join(type_words("pemilu2024")))]
    parts += [text(lang, f"checkin.format.{k.value}") for k in Kind if k is not Kind.LOGISTIK]
    return "\n".join(parts)


GRAMMAR = {
    "LOGISTIK": ["LENGKAP", "KURANG", "RUSAK", "PRES", "DPR", "DPD", "DPRDPROV", "DPRDKAB"],
    "SIAP": ["YA", "SUDAH", "TIDAK", "BELUM", "AKSES"],
    "BANJIR": ["KERING", "MATAKAKI", "LUTUT", "PINGGANG", "SEPINGGANG", "BISA", "TIDAK BISA",
               "TUTUP", "BASAH", "PINDAH"],
    "SINYAL": ["TIDAK", "LEMAH", "BAGUS", "TSEL", "INDOSAT", "XL", "TRI", "SMARTFREN", "MANUAL",
               "CARI"],
    "KEJADIAN": ["KEAMANAN", "KESEHATAN", "HOAKS", "LAIN", "RINGAN", "SEDANG", "BERAT",
                 "DARURAT", "SELESAI"],
}  # fmt: skip


@pytest.mark.parametrize("lang", LANGUAGES)
def test_format_shows_every_word_the_parser_takes(lang: str) -> None:
    shown = format_text(lang)
    for kind, words in GRAMMAR.items():
        for word in words:
            assert re.search(rf"\b{word}\b", shown), (kind, word)


LINES = [
    ("BANJIR SEPINGGANG TIDAK BISA BASAH", {"water_cm": 80, "usable": False}),
    ("BANJIR 40 TUTUP", {"water_cm": 40, "usable": False}),
    ("KEJADIAN HOAKS BERAT berita palsu", {"severity_level": "high"}),
    ("KEJADIAN KEAMANAN DARURAT massa", {"severity_level": "critical"}),
    ("KEJADIAN KESEHATAN KRITIS pingsan", {"severity_level": "critical"}),  # the old word
    ("SINYAL TIDAK ADA MANUAL", {"level": "none", "fallback": "manual"}),
    ("SIAP BELUM 07:15 5 AKSES TIDAK", {"ready": False, "accessible": False}),
]


@pytest.mark.parametrize(("line", "expected"), LINES, ids=[line for line, _ in LINES])
def test_the_words_on_format_parse(line: str, expected: dict[str, object]) -> None:
    report = parse_quick(line).report
    for field, value in expected.items():
        assert getattr(report, field) == value, field


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_siap_line_without_akses_is_not_receipted_accessible(lang: str) -> None:
    report = parse_quick("SIAP 06:30 7").report
    assert report.accessible is None  # type: ignore[attr-defined]
    shown = describe(lang, Kind.SIAP, payload_of(report), "pemilu2024")
    assert catalogue(lang)["checkin.field.accessible"] not in shown
    assert catalogue(lang)["checkin.field.officers"] in shown


def test_one_severity_vocabulary_on_buttons_format_and_receipts() -> None:
    buttons = [catalogue("id")[f"checkin.opt.severity.{v}"] for v in ("low", "medium", "high")]
    buttons.append(catalogue("id")["checkin.opt.severity.critical"])
    shown = format_text("id")
    for word in buttons:
        assert word.upper() in shown
    for old in ("RENDAH", "TINGGI", "KRITIS"):
        assert old not in shown


@pytest.mark.parametrize(
    ("word", "role"),
    [("koordinator", Role.COORDINATOR), ("Coordinator", Role.COORDINATOR), ("petugas", Role.TPS),
     ("camat", Role.CAMAT), ("ADMIN", Role.ADMIN), ("bupati", None)],
)  # fmt: skip
def test_role_names_typed_in_indonesian_or_english(word: str, role: Role | None) -> None:
    assert parse_role(word) is role


def test_domain_errors_are_worded_by_the_catalogue_without_english() -> None:
    with pytest.raises(ScopeError) as caught:
        check_scope(Role.TPS, "3672")
    said = scope_problem_text("id", caught.value, typed="3672")
    assert said == ("Kode '3672' adalah kabupaten/kota, sedangkan Petugas TPS memerlukan kode TPS.")
    assert not ENGLISH.search(said)
    wrong = ScopeError(ScopeProblem.NOT_A_CODE, scope="abc")
    assert not ENGLISH.search(scope_problem_text("id", wrong, typed="abc"))
    with pytest.raises(ScheduleError) as schedule_error:
        parse_when("besok")
    said = schedule_problem("id", schedule_error.value)
    assert said == "Tidak bisa dipakai: 'besok' perlu hari dan jam, misalnya H-1 18:00."
    assert "needs" in str(schedule_error.value)  # English stays for the config file and CLI


def kpu_list() -> dict[str, int]:
    """Village code -> TPS count, plus every region code (count 0), of the shipped list."""
    codes: dict[str, int] = {}
    with gzip.open(TPS_FILE, "rt", encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        for cols in rows:
            for code in (cols[0], cols[2], cols[4]):
                codes.setdefault(code, 0)
            codes[cols[6]] = int(cols[8])
    return codes


def test_every_example_code_exists_in_the_shipped_kpu_list() -> None:
    """TPS ids and region codes shown as examples (texts, --help, code) are real."""
    texts = [v for lang in LANGUAGES for v in catalogue(lang).values()]
    for package in ("bot", "handlers"):
        texts += [p.read_text(encoding="utf-8") for p in (REPO / package).rglob("*.py")]
    known = kpu_list()
    tps_ids = {m for t in texts for m in re.findall(r"\b\d{10}-\d{3}\b", t)}
    regions = {
        m
        for t in texts
        for m in re.findall(r"(?:mis\.|e\.g\.|Example:|Contoh:|undang camat|\() ?(\d{6})\b", t)
    }
    assert tps_ids and regions
    for tps in tps_ids:
        village, number = tps.split("-")
        assert known.get(village, 0) >= int(number), tps
    for code in regions:
        assert code in known, code


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_banjir_line_without_logistics_is_not_receipted_logistics_safe(lang: str) -> None:
    """Nothing the officer did not say is stored or receipted as said (the newcomer's
    `BANJIR 40 PINDAH balai desa` was receipted 'Logistik aman: Ya')."""
    report = parse_quick("BANJIR 40 PINDAH balai desa").report
    assert report.logistics_safe is None  # type: ignore[attr-defined]
    shown = describe(lang, Kind.BANJIR, payload_of(report), "pemilu2024")
    assert catalogue(lang)["checkin.field.logistics_safe"] not in shown
    assert parse_quick("BANJIR 40 LOGISTIK BASAH").report.logistics_safe is False  # type: ignore[attr-defined]
    assert parse_quick("BANJIR 40 LOGISTIK AMAN").report.logistics_safe is True  # type: ignore[attr-defined]
