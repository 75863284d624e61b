"""Every SMS the bot can send is plain GSM-7 and fits one 160-character part."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from domain.checkins.kinds import Kind, Severity, Source
from domain.checkins.quick import parse_quick
from domain.checkins.records import Filed
from domain.checkins.rules import Problem
from domain.sms import is_plain_gsm7
from sms import texts

FIELD = re.compile(r"{(\w+)}")
LONGEST_TPS = "3672011001-003"
NOW = datetime(2024, 2, 13, 1, 0, tzinfo=UTC)


def _filed(kind: Kind, rehearsal: int | None = None) -> Filed:
    return Filed(
        id=9_999_999,
        tps_id=LONGEST_TPS,
        kind=kind,
        version=99,
        severity=Severity.OK,
        payload={},
        source=Source.SMS,
        relayed=True,
        filed_by="x",
        sent_at=NOW - timedelta(hours=5),
        received_at=NOW,
        duplicate=True,
        rehearsal_id=rehearsal,
    )


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    ids, ens = texts.catalogue("id"), texts.catalogue("en")
    assert set(ids) == set(ens)
    for key, template in ids.items():
        assert set(FIELD.findall(template)) == set(FIELD.findall(ens[key])), key


@pytest.mark.parametrize("lang", texts.LANGUAGES)
def test_every_catalogue_text_is_plain_gsm7(lang: str) -> None:
    for key, template in texts.catalogue(lang).items():
        assert is_plain_gsm7(FIELD.sub("", template)), (key, template)


@pytest.mark.parametrize("kind", list(Kind))
def test_the_sms_examples_parse(kind: Kind) -> None:
    assert parse_quick(texts.EXAMPLES[kind]).kind is kind
    assert parse_quick(f"{LONGEST_TPS} {texts.EXAMPLES[kind]}").tps == LONGEST_TPS


@pytest.mark.parametrize("lang", texts.LANGUAGES)
@pytest.mark.parametrize("kind", list(Kind))
def test_the_longest_receipt_fits_one_part_uncut(lang: str, kind: Kind) -> None:
    body = texts.receipt(lang, _filed(kind), province_code="91")  # WIT, a three-letter zone
    assert is_plain_gsm7(body) and len(body) <= 160 and not body.endswith("..."), body
    practice = texts.receipt(lang, _filed(kind, rehearsal=1), province_code="91")
    assert practice.startswith("SIMULASI (") and "Versi" not in practice, practice
    assert "Version" not in practice, practice
    assert is_plain_gsm7(practice) and len(practice) <= 160 and not practice.endswith("...")


@pytest.mark.parametrize("lang", texts.LANGUAGES)
@pytest.mark.parametrize("camat", [False, True])
def test_every_problem_fits_one_part_with_the_longest_example(lang: str, camat: bool) -> None:
    codes = [k.split(".", 1)[1] for k in texts.catalogue(lang) if k.startswith("problem_text.")]
    fields = [k.split(".", 1)[1] for k in texts.catalogue(lang) if k.startswith("field.")]
    for code in codes:
        for field in fields:
            for kind in Kind:
                values = {"kind": kind.value, "length": 999, "high": 999, "low": 999,
                          "value": 9999, "word": "w" * 20, "type": "t" * 20, "expected": 1000,
                          "operator": "o" * 20, "tps": LONGEST_TPS}  # fmt: skip
                body = texts.problem(lang, Problem(code, field, values), camat=camat)
                assert is_plain_gsm7(body), body
                assert len(body) <= 160 and not body.endswith("..."), (code, field, kind, body)


@pytest.mark.parametrize("lang", texts.LANGUAGES)
def test_the_other_answers_and_reminders_fit_one_part(lang: str) -> None:
    for key in ("unknown_number", "not_a_filer"):
        body = texts.sms_text(lang, key)
        assert is_plain_gsm7(body) and len(body) <= 160, body
    for kind in Kind:
        body = texts.reminder(lang, kind.value, LONGEST_TPS, deadline=NOW, province_code="91")
        assert is_plain_gsm7(body) and len(body) <= 160 and not body.endswith("..."), body
        assert texts.EXAMPLES[kind] in body
