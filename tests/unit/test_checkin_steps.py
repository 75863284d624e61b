"""The guided step tables: which steps apply, what a button or typed answer becomes."""

from __future__ import annotations

from typing import Any

import pytest

from domain.checkins.kinds import Kind
from domain.checkins.reports import build
from domain.checkins.rules import Problem
from domain.checkins.steps import (
    FLOWS,
    SKIP,
    StepKey,
    answer_choice,
    answer_location,
    answer_typed,
    choices,
    next_step,
    report_fields,
    step_of,
)


def walk(kind: Kind, answers: dict[str, Any]) -> list[str]:
    """The keys asked, in order, answering each from `answers`."""
    given: dict[str, Any] = {}
    asked = []
    while (step := next_step(kind, given)) is not None:
        asked.append(step.key.value)
        given[step.key.value] = answers[step.key.value]
    return asked


PATHS = [
    ("logistik-complete", Kind.LOGISTIK, {"status": "complete", "expected": 250}, ["status", "expected"]),
    ("logistik-short-ballots", Kind.LOGISTIK,
     {"status": "incomplete", "expected": 250, "affected": "dpd", "received": 240, "note": None},
     ["status", "expected", "affected", "received", "note"]),
    ("logistik-short-other", Kind.LOGISTIK,
     {"status": "incomplete", "expected": 250, "affected": "other", "note": "tinta"},
     ["status", "expected", "affected", "note"]),
    ("banjir-stays", Kind.BANJIR,
     {"water_cm": 10, "usable": True, "relocate": False, "logistics_safe": True, "photos": None},
     ["water_cm", "usable", "relocate", "logistics_safe", "photos"]),
    ("banjir-moves", Kind.BANJIR,
     {"water_cm": 80, "usable": False, "relocate": True, "place": "balai", "logistics_safe": True,
      "photos": None},
     ["water_cm", "usable", "relocate", "place", "logistics_safe", "photos"]),
    ("sinyal-good", Kind.SINYAL, {"level": "good", "operator": None, "location": None},
     ["level", "operator", "location"]),
    ("sinyal-none-place", Kind.SINYAL,
     {"level": "none", "operator": "xl", "fallback": "place", "place": "bukit", "location": None},
     ["level", "operator", "fallback", "place", "location"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "answers", "asked"), [p[1:] for p in PATHS], ids=[p[0] for p in PATHS]
)
def test_steps_apply_only_when_earlier_answers_call_for_them(
    kind: Kind, answers: dict[str, Any], asked: list[str]
) -> None:
    assert walk(kind, answers) == asked
    build(kind, report_fields(kind, answers))  # the path ends in a valid report


def test_buttons_are_never_trusted() -> None:
    status = step_of(Kind.LOGISTIK, "status")
    assert status is not None
    assert answer_choice(status, "damaged", {}, election="pemilu2024") == "damaged"
    for forged in ("lost", "_skip", "", "complete;drop"):
        with pytest.raises(Problem, match="not_an_option"):
            answer_choice(status, forged, {}, election="pemilu2024")


def test_election_types_are_offered_from_configuration() -> None:
    affected = step_of(Kind.LOGISTIK, "affected")
    assert affected is not None
    assert choices(affected, "pilkada") == ("gub", "bup", "other")
    with pytest.raises(Problem):
        answer_choice(affected, "dpd", {}, election="pilkada")


def test_skip_only_where_offered() -> None:
    photo = step_of(Kind.BANJIR, "photos")
    usable = step_of(Kind.BANJIR, "usable")
    note = step_of(Kind.LOGISTIK, "note")
    assert photo is not None and usable is not None and note is not None
    assert answer_choice(photo, SKIP, {}, election="pemilu2024") is None
    with pytest.raises(Problem):
        answer_choice(usable, SKIP, {}, election="pemilu2024")
    damaged = {"status": "damaged", "affected": "dpr"}
    with pytest.raises(Problem):
        answer_choice(note, SKIP, damaged, election="pemilu2024")
    short = {"status": "incomplete", "affected": "dpr", "received": 10}
    assert answer_choice(note, SKIP, short, election="pemilu2024") is None


def test_number_presets_and_typing() -> None:
    officers = step_of(Kind.SIAP, "officers")
    assert officers is not None
    assert answer_choice(officers, "7", {}, election="pemilu2024") == 7
    with pytest.raises(Problem):
        answer_choice(officers, "8", {}, election="pemilu2024")
    assert answer_typed(officers, "5 orang", {}, election="pemilu2024") == 5
    with pytest.raises(Problem, match="out_of_range"):
        answer_typed(officers, "12", {}, election="pemilu2024")


def test_ballots_received_are_checked_against_expected() -> None:
    received = step_of(Kind.LOGISTIK, "received")
    assert received is not None
    assert answer_typed(received, "240", {"expected": 250}, election="pemilu2024") == 240
    with pytest.raises(Problem, match="not_short"):
        answer_typed(received, "250", {"expected": 250}, election="pemilu2024")


def test_yes_no_can_be_typed_but_other_words_ask_for_a_button() -> None:
    usable = step_of(Kind.BANJIR, "usable")
    assert usable is not None
    assert answer_typed(usable, "Ya", {}, election="pemilu2024") is True
    assert answer_typed(usable, "tidak", {}, election="pemilu2024") is False
    with pytest.raises(Problem, match="press_a_button"):
        answer_typed(usable, "mungkin", {}, election="pemilu2024")


def test_a_location_must_be_in_indonesia() -> None:
    location = step_of(Kind.SINYAL, "location")
    assert location is not None
    assert answer_location(location, -6.0, 106.05) == {"latitude": -6.0, "longitude": 106.05}
    with pytest.raises(Problem, match="location_outside"):
        answer_location(location, 0.0, 0.0)


def test_photo_and_location_steps_say_what_to_send() -> None:
    photo = step_of(Kind.KEJADIAN, "photos")
    assert photo is not None
    with pytest.raises(Problem, match="send_photo"):
        answer_typed(photo, "foto menyusul", {}, election="pemilu2024")


def test_step_keys_are_stable_strings() -> None:
    # Stored in conversation.step: renaming a value would strand drafts in flight.
    assert StepKey.WATER.value == "water_cm" and StepKey.PHOTO.value == "photos"
    for steps in FLOWS.values():
        keys = [s.key for s in steps]
        assert len(keys) == len(set(keys))
