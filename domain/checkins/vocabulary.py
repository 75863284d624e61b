"""The words people may type for each choice, one table for the one-line grammar and for typed
answers in guided filing: whatever a button says (Indonesian or English) is accepted when
typed, and so are the short words of the grammar (`PINGGANG`, `TSEL`).

Words are compared after `normalize`: lower case, letters and digits only, so "Sepinggang
atau lebih", "sepinggang" and "SEPINGGANG" are one word. The severity of an incident has one
vocabulary everywhere: RINGAN, SEDANG, BERAT, DARURAT (the buttons, /format, receipts);
RENDAH, TINGGI and KRITIS, the grammar's words before, are still read.
"""

from __future__ import annotations

import re

from domain.checkins.rules import WATER_PRESETS

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalize(text: str) -> str:
    """'Sepinggang atau lebih' -> 'sepinggangataulebih'."""
    return _NOT_WORD.sub("", text.lower())


WATER_WORDS: dict[str, int] = {
    "kering": WATER_PRESETS["none"], "dry": WATER_PRESETS["none"],
    "matakaki": WATER_PRESETS["ankle"], "sematakaki": WATER_PRESETS["ankle"],
    "ankledeep": WATER_PRESETS["ankle"], "ankle": WATER_PRESETS["ankle"],
    "lutut": WATER_PRESETS["knee"], "selutut": WATER_PRESETS["knee"],
    "kneedeep": WATER_PRESETS["knee"], "knee": WATER_PRESETS["knee"],
    "pinggang": WATER_PRESETS["waist"], "sepinggang": WATER_PRESETS["waist"],
    "sepinggangataulebih": WATER_PRESETS["waist"], "waist": WATER_PRESETS["waist"],
    "waistdeep": WATER_PRESETS["waist"], "waistdeepormore": WATER_PRESETS["waist"],
}  # fmt: skip
STATUS_WORDS: dict[str, str] = {
    "lengkap": "complete", "complete": "complete",
    "kurang": "incomplete", "short": "incomplete",
    "rusak": "damaged", "damaged": "damaged",
}  # fmt: skip
SIGNAL_WORDS: dict[str, str] = {
    "tidak": "none", "tidakada": "none", "tidakadasinyal": "none", "kosong": "none",
    "mati": "none", "none": "none", "nosignal": "none",
    "lemah": "weak", "weak": "weak",
    "bagus": "good", "kuat": "good", "baik": "good", "good": "good",
}  # fmt: skip
OPERATOR_WORDS: dict[str, str] = {
    "telkomsel": "telkomsel", "tsel": "telkomsel", "indosat": "indosat", "im3": "indosat",
    "isat": "indosat", "xl": "xl", "axis": "xl", "xlaxis": "xl", "tri": "tri", "3": "tri",
    "smartfren": "smartfren", "sf": "smartfren", "lainnya": "other", "other": "other",
}  # fmt: skip
FALLBACK_WORDS: dict[str, str] = {
    "cari": "place", "pindah": "place", "pergiketempatbersinyal": "place",
    "gotoaplacewithsignal": "place",
    "manual": "manual", "rekapmanual": "manual", "manualrecap": "manual",
    "belumtahu": "none", "notsureyet": "none",
}  # fmt: skip
CATEGORY_WORDS: dict[str, str] = {
    "keamanan": "security", "security": "security",
    "kesehatan": "health", "sakit": "health", "health": "health",
    "hoaks": "hoax", "hoax": "hoax",
    "logistik": "logistics", "logistikrusak": "logistics", "logisticsdamaged": "logistics",
    "lain": "other", "lainnya": "other", "other": "other",
}  # fmt: skip
SEVERITY_WORDS: dict[str, str] = {
    "ringan": "low", "rendah": "low", "minor": "low",
    "sedang": "medium", "moderate": "medium",
    "berat": "high", "tinggi": "high", "serious": "high",
    "darurat": "critical", "kritis": "critical", "critical": "critical",
}  # fmt: skip
# What /format lists for the incident severity, in this order.
SEVERITY_SHOWN = ("RINGAN", "SEDANG", "BERAT", "DARURAT")
AFFECTED_WORDS: dict[str, str] = {
    "lainnya": "other", "lainnyabukansuratsuara": "other", "other": "other",
    "othernotballots": "other",
}  # fmt: skip

# The typed words of each guided choice step, by step key.
BY_STEP: dict[str, dict[str, str]] = {
    "status": STATUS_WORDS,
    "level": SIGNAL_WORDS,
    "operator": OPERATOR_WORDS,
    "fallback": FALLBACK_WORDS,
    "category": CATEGORY_WORDS,
    "severity": SEVERITY_WORDS,
    "affected": AFFECTED_WORDS,
}


def typed_option(step_key: str, raw: str) -> str | None:
    """The option value a typed word names on a choice step, or None."""
    return BY_STEP.get(step_key, {}).get(normalize(raw))


def typed_water(raw: str) -> int | None:
    """The water level in cm a typed word names ('Sepinggang' -> 80), or None."""
    return WATER_WORDS.get(normalize(raw))
