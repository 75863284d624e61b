"""The SMS text catalogue (`sms/locales/{id,en}.toml`) and the few SMS the bot composes.

Every SMS leaves as plain GSM-7 in one 160-character part (`domain.sms.fit_one_part`): one
emoji or accented letter would turn it into 70-character UCS-2 parts and triple its cost
(GSM 03.38). Values typed by people (a word they wrote) are transliterated to GSM-7 first.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from domain.checkins.kinds import Kind
from domain.checkins.records import Filed, local_time
from domain.checkins.rules import Problem
from domain.sms import fit_one_part, to_gsm7

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
# Shorter than `/format`'s examples (domain.checkins.quick.EXAMPLES) so that an answer with the
# TPS prefix still fits one SMS; each parses (tests/unit/test_sms_texts.py).
EXAMPLES: dict[Kind, str] = {
    Kind.LOGISTIK: "LOGISTIK KURANG 250 DPD 240",
    Kind.SIAP: "SIAP 06:30 7",
    Kind.BANJIR: "BANJIR 40 PINDAH balai desa",
    Kind.SINYAL: "SINYAL LEMAH TSEL MANUAL",
    Kind.KEJADIAN: "KEJADIAN KESEHATAN SEDANG petugas sakit",
}
LANGUAGES = ("id", "en")
EXAMPLE_TPS = "3672011001-003"


def _flatten(prefix: str, table: dict[str, Any], into: dict[str, str]) -> None:
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(full, value, into)
        else:
            into[full] = str(value)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All SMS texts of one language, nested tables joined with dots (`problem_text.missing`)."""
    entries: dict[str, str] = {}
    with (LOCALES_DIR / f"{lang}.toml").open("rb") as handle:
        _flatten("", tomllib.load(handle), entries)
    return entries


def _lang(lang: str | None) -> str:
    return lang if lang in LANGUAGES else "id"


def sms_text(lang: str | None, key: str, **values: Any) -> str:
    """One catalogue text with its values, as plain GSM-7 in one part."""
    template = catalogue(_lang(lang))[key]
    return fit_one_part(template.format(**{k: to_gsm7(str(v)) for k, v in values.items()}))


def _clock(moment: datetime, province_code: str, *, with_date: bool = False) -> str:
    local, zone = local_time(moment, province_code)
    return local.strftime("%d/%m %H:%M" if with_date else "%H:%M") + f" {zone}"


def receipt(lang: str, filed: Filed, *, province_code: str) -> str:
    """Number, kind, TPS, local time; the version, lateness and a repeat noted briefly.

    A rehearsal's says SIMULASI first and no version (its numbers follow the real ones), as
    on Telegram (`views.checkins`)."""
    practice = filed.rehearsal_id is not None
    extra = ""
    if filed.version > 1 and not practice:
        extra += catalogue(_lang(lang))["receipt_version"].format(version=filed.version)
    if filed.late:
        sent = _clock(filed.sent_at, province_code, with_date=True)
        extra += catalogue(_lang(lang))["receipt_late"].format(sent=sent)
    if filed.duplicate:
        extra += catalogue(_lang(lang))["receipt_duplicate"]
    return sms_text(
        lang,
        "receipt_rehearsal" if practice else "receipt",
        number=filed.id,
        kind=filed.kind.value.upper(),
        tps=filed.tps_id,
        time=_clock(filed.received_at, province_code),
        extra=extra,
    )


def problem_sentence(lang: str, problem: Problem) -> str:
    """The short sentence for a refused line (`problem_text.<code>`, else `invalid`)."""
    texts = catalogue(_lang(lang))
    key = f"problem_text.{problem.code}"
    if key not in texts:
        key = "problem_text.invalid"
    field = texts.get(f"field.{problem.field}", texts["field.other"])
    values = {"field": field, "low": "", "high": "", "value": "", "length": "", "word": "",
              "type": "", "expected": "", "operator": "", "tps": ""}  # fmt: skip
    values.update({k: to_gsm7(str(v))[:20] for k, v in problem.params.items() if k != "kind"})
    return texts[key].format(**values)


def example_for(problem: Problem, *, camat: bool) -> str:
    kind_value = str(problem.params.get("kind") or "")
    kind = Kind(kind_value) if kind_value in {k.value for k in Kind} else Kind.BANJIR
    return f"{EXAMPLE_TPS} {EXAMPLES[kind]}" if camat else EXAMPLES[kind]


def problem(lang: str, problem: Problem, *, camat: bool = False) -> str:
    """What was wrong with a line and a line that works, in one SMS."""
    return sms_text(
        lang,
        "problem",
        problem=problem_sentence(lang, problem),
        example=example_for(problem, camat=camat),
    )


def reminder(lang: str, kind: str, tps_id: str, *, deadline: datetime, province_code: str) -> str:
    """A reminder by SMS, with the line to send back."""
    return sms_text(
        lang,
        "reminder",
        kind=kind.upper(),
        tps=tps_id,
        deadline=_clock(deadline, province_code, with_date=True),
        example=EXAMPLES[Kind(kind)],
    )
