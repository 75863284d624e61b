"""Quick filing: one line of at most 160 characters per check-in, for weak signal.

Grammar (words in any case, extra spaces and commas ignored; `/format` shows it to people):

    [TPS-ID] LOGISTIK LENGKAP [expected]
    [TPS-ID] LOGISTIK KURANG expected [TYPE received]... [note]
    [TPS-ID] LOGISTIK RUSAK [TYPE] note
    [TPS-ID] SIAP [YA|TIDAK] HH:MM officers [AKSES YA|TIDAK] [problem]
    [TPS-ID] BANJIR cm|KERING|MATAKAKI|LUTUT|PINGGANG [BISA|TIDAK BISA] [BASAH] [PINDAH place]
    [TPS-ID] SINYAL TIDAK|LEMAH|BAGUS [operator] [MANUAL|CARI place]
    [TPS-ID] KEJADIAN category [RINGAN|SEDANG|BERAT|DARURAT] [SELESAI] text

The words of each choice (and their synonyms, and every button's label) are in
`domain.checkins.vocabulary`. A SIAP line that does not say AKSES leaves accessibility unknown.

A TPS id in front (3672011001-003) files for that TPS: a camat's relay, or an officer naming
their own. `parse_quick` returns the kind, the TPS named (if any) and the report, or raises
`Problem` with the kind it got as far as (`params["kind"]`), so the answer can show an example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from domain.checkins.elections import type_codes
from domain.checkins.kinds import Kind
from domain.checkins.reports import Report, build
from domain.checkins.rules import Problem, check_range, read_number, read_time
from domain.checkins.vocabulary import (
    CATEGORY_WORDS,
    OPERATOR_WORDS,
    SEVERITY_WORDS,
    SIGNAL_WORDS,
    STATUS_WORDS,
    WATER_WORDS,
    normalize,
)
from domain.regions import normalize_tps_id

MAX_LENGTH = 160
_TPS_TOKEN_RE = re.compile(r"^\d{10}[-/.]\d{1,3}$")
_CM_RE = re.compile(r"^(\d{1,4})(cm)?$")
_WORD_RE = re.compile(r"[^\s,]+")

KIND_WORDS: dict[str, Kind] = {
    "logistik": Kind.LOGISTIK,
    "log": Kind.LOGISTIK,
    "siap": Kind.SIAP,
    "banjir": Kind.BANJIR,
    "sinyal": Kind.SINYAL,
    "signal": Kind.SINYAL,
    "kejadian": Kind.KEJADIAN,
    "insiden": Kind.KEJADIAN,
}
TYPE_WORDS: dict[str, str] = {
    "pres": "pres", "presiden": "pres", "ppwp": "pres", "dpr": "dpr", "dpd": "dpd",
    "dprdprov": "dprdprov", "dprdp": "dprdprov", "dprdprovinsi": "dprdprov",
    "dprdkab": "dprdkab", "dprdk": "dprdkab", "dprdkota": "dprdkab",
    "gub": "gub", "gubernur": "gub", "bup": "bup", "bupati": "bup", "walikota": "bup",
}  # fmt: skip
# How /format names each ballot type (the grammar reads the synonyms in TYPE_WORDS too).
TYPE_SHOWN = {
    "pres": "PRES", "dpr": "DPR", "dpd": "DPD", "dprdprov": "DPRDPROV", "dprdkab": "DPRDKAB",
    "gub": "GUB", "bup": "BUP",
}  # fmt: skip


def type_words(election: str) -> list[str]:
    """The ballot-type words of one election, as /format shows them."""
    return [TYPE_SHOWN.get(code, code.upper()) for code in type_codes(election)]


EXAMPLES: dict[Kind, str] = {
    Kind.LOGISTIK: "LOGISTIK KURANG 250 DPD 240",
    Kind.SIAP: "SIAP 06:30 7",
    Kind.BANJIR: "BANJIR 40 PINDAH balai desa",
    Kind.SINYAL: "SINYAL LEMAH TSEL CARI bukit belakang sekolah",
    Kind.KEJADIAN: "KEJADIAN KESEHATAN SEDANG ketua KPPS pingsan, dibawa ke puskesmas",
}


@dataclass(frozen=True, slots=True)
class QuickLine:
    kind: Kind
    tps: str | None
    report: Report


def looks_like_quick(text: str) -> bool:
    """Whether a message starts like a check-in line (a kind word, maybe after a TPS id)."""
    words = _words(text)[:2]
    if words and _TPS_TOKEN_RE.match(words[0]):
        words = words[1:]
    return bool(words) and words[0] in KIND_WORDS


def parse_quick(text: str, *, election: str = "pemilu2024") -> QuickLine:
    if len(text) > MAX_LENGTH:
        raise Problem("too_long", "", {"high": MAX_LENGTH, "length": len(text), "kind": ""})
    raw = _raw_words(text)
    tps = None
    if raw and _TPS_TOKEN_RE.match(raw[0]):
        tps = normalize_tps_id(raw.pop(0).replace("/", "-").replace(".", "-"))
    if not raw or raw[0].lower() not in KIND_WORDS:
        raise Problem("unknown_kind", "", {"kind": ""})
    kind = KIND_WORDS[raw.pop(0).lower()]
    try:
        data = _PARSERS[kind](raw, election)
        report = build(kind, data, election=election)
    except Problem as problem:
        problem.params.setdefault("kind", kind.value)
        raise
    return QuickLine(kind=kind, tps=tps, report=report)


class Words(list[str]):
    """The words of a line that are left to read, and the original text behind them."""

    def __init__(self, text: str) -> None:
        found = list(_WORD_RE.finditer(text))
        super().__init__(m.group(0) for m in found)
        self._text = text
        self._starts = [m.start() for m in found]

    def rest(self) -> str:
        """Everything from the next unread word to the end, as typed (commas kept)."""
        if not self:
            return ""
        return self._text[self._starts[len(self._starts) - len(self)] :].strip()


def _raw_words(text: str) -> Words:
    return Words(text)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _raw_words(text)]


def _need(words: Words, field: str) -> str:
    if not words:
        raise Problem("missing", field)
    return words.pop(0)


def _logistik(words: Words, election: str) -> dict[str, Any]:
    status_word = _need(words, "status").lower()
    status = STATUS_WORDS.get(normalize(status_word))
    if status is None:
        raise Problem("unknown_word", "status", {"word": status_word})
    data: dict[str, Any] = {"status": status}
    if status != "damaged" and words and words[0].isdigit():
        data["expected"] = read_number(words.pop(0), "expected")
    received: dict[str, int] = {}
    known = type_codes(election)
    while words and words[0].lower() in TYPE_WORDS:
        code = TYPE_WORDS[words.pop(0).lower()]
        if code not in known:
            raise Problem("unknown_type", "received", {"type": code})
        if status == "damaged":
            data["affected"] = code
            break
        received[code] = read_number(_need(words, "received"), "received")
    if received:
        data["received"] = received
    if words:
        data["note"] = words.rest()
    return data


def _siap(words: Words, election: str) -> dict[str, Any]:
    ready = True
    if words and words[0].lower() in ("ya", "sudah", "tidak", "belum"):
        ready = words.pop(0).lower() in ("ya", "sudah")
    time = read_time(_need(words, "time"))
    officers = read_number(_need(words, "officers"), "officers")
    data: dict[str, Any] = {"ready": ready, "time": time, "officers": officers}
    if words and words[0].lower() == "akses":
        words.pop(0)
        answer = _need(words, "accessible").lower()
        if answer not in ("ya", "tidak"):
            raise Problem("unknown_word", "accessible", {"word": answer})
        data["accessible"] = answer == "ya"  # unsaid: unknown, never assumed
    if words:
        data["problem"] = words.rest()
    return data


def _banjir(words: Words, election: str) -> dict[str, Any]:
    first = _need(words, "water_cm").lower()
    if words and words[0].lower() == "cm":
        words.pop(0)
    match = _CM_RE.match(first)
    if normalize(first) in WATER_WORDS:
        water = WATER_WORDS[normalize(first)]
    elif match:
        water = check_range(int(match.group(1)), "water_cm")
    else:
        raise Problem("not_a_number", "water_cm", {"low": 0, "high": 300})
    # Logistics are as the officer says (BASAH/RUSAK, or LOGISTIK AMAN); unsaid, unknown.
    data: dict[str, Any] = {"water_cm": water, "relocate": False}
    usable: bool | None = None
    while words:
        word = words.pop(0).lower()
        if word == "pindah":
            data["relocate"] = True
            data["place"] = words.rest() or None
            break
        if word == "tidak" and words and words[0].lower() == "bisa":
            words.pop(0)
            usable = False
        elif word in ("tidakbisa", "tutup"):
            usable = False
        elif word in ("bisa", "dipakai"):
            usable = True
        elif word in ("basah", "rusak"):
            data["logistics_safe"] = False
        elif word == "aman":
            data["logistics_safe"] = True
        elif word != "logistik":
            raise Problem("unknown_word", "", {"word": word})
    data["usable"] = (not data["relocate"]) if usable is None else usable
    return data


def _sinyal(words: Words, election: str) -> dict[str, Any]:
    first = _need(words, "level").lower()
    if first == "tidak" and words and words[0].lower() == "ada":
        words.pop(0)
    if first not in SIGNAL_WORDS:
        raise Problem("unknown_word", "level", {"word": first})
    data: dict[str, Any] = {"level": SIGNAL_WORDS[first]}
    while words:
        word = words.pop(0).lower()
        if word in OPERATOR_WORDS:
            data["operator"] = OPERATOR_WORDS[word]
        elif word == "manual":
            data["fallback"] = "manual"
        elif word in ("cari", "pindah", "di"):
            data["fallback"] = "place"
            data["place"] = words.rest() or None
            break
        else:
            raise Problem("unknown_word", "", {"word": word})
    return data


def _kejadian(words: Words, election: str) -> dict[str, Any]:
    first = _need(words, "category").lower()
    if first not in CATEGORY_WORDS:
        raise Problem("unknown_word", "category", {"word": first})
    data: dict[str, Any] = {"category": CATEGORY_WORDS[first], "severity": "medium"}
    if words and words[0].lower() in SEVERITY_WORDS:
        data["severity"] = SEVERITY_WORDS[words.pop(0).lower()]
    data["resolved"] = bool(words) and words[0].lower() == "selesai"
    if data["resolved"]:
        words.pop(0)
    data["text"] = words.rest()
    return data


_PARSERS = {
    Kind.LOGISTIK: _logistik,
    Kind.SIAP: _siap,
    Kind.BANJIR: _banjir,
    Kind.SINYAL: _sinyal,
    Kind.KEJADIAN: _kejadian,
}
