"""Guided filing as data: each kind is a list of steps; handlers only render them.

A step asks one thing: pick one of some buttons (`CHOICE`, `YESNO`), type a number (with
buttons for the common ones), a time, a place or note (`TEXT`), or send a photo or a
location. A step may apply only when earlier answers call for it (`when`), and may be
skipped (`optional`, stored as None). Answers are JSON values keyed by the step's key;
`answer_typed` and `answer_choice` validate one answer, `reports.build` the whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.checkins.elections import type_codes
from domain.checkins.kinds import Kind
from domain.checkins.reports import Category, Fallback, IncidentSeverity, SignalLevel
from domain.checkins.rules import (
    OPERATORS,
    WATER_PRESETS,
    Problem,
    check_location,
    read_number,
    read_text,
    read_time,
)
from domain.checkins.vocabulary import typed_option, typed_water

Answers = Mapping[str, Any]


class StepKey(StrEnum):
    """Every step of every flow; stored in `conversation.step`, so values never change."""

    # flow positions that are not questions
    PICK_TPS = "pick_tps"
    PICK_KIND = "pick_kind"
    SUMMARY = "summary"
    CHANGE = "change"
    # logistik
    STATUS = "status"
    EXPECTED = "expected"
    AFFECTED = "affected"
    RECEIVED = "received"
    NOTE = "note"
    # siap
    READY = "ready"
    TIME = "time"
    OFFICERS = "officers"
    ACCESSIBLE = "accessible"
    PROBLEM = "problem"
    # banjir
    WATER = "water_cm"
    USABLE = "usable"
    RELOCATE = "relocate"
    PLACE = "place"
    LOGISTICS_SAFE = "logistics_safe"
    PHOTO = "photos"
    # sinyal
    LEVEL = "level"
    OPERATOR = "operator"
    FALLBACK = "fallback"
    LOCATION = "location"
    # kejadian
    CATEGORY = "category"
    SEVERITY = "severity"
    TEXT = "text"
    RESOLVED = "resolved"


class StepType(StrEnum):
    CHOICE = "choice"
    YESNO = "yesno"
    NUMBER = "number"
    TIME = "time"
    TEXT = "text"
    PHOTO = "photo"
    LOCATION = "location"


SKIP = "_skip"
ELECTION_TYPES = "@election"  # a CHOICE whose options are the configured election types
OTHER = "other"


def _always(_: Answers) -> bool:
    return True


@dataclass(frozen=True)
class Step:
    key: StepKey
    type: StepType
    options: tuple[str, ...] = ()
    presets: tuple[int, ...] = ()  # number buttons offered besides typing
    optional: bool | Callable[[Answers], bool] = False
    when: Callable[[Answers], bool] = _always

    def skippable(self, answers: Answers) -> bool:
        """Whether a Skip button is offered (and accepted) given the earlier answers."""
        return self.optional(answers) if callable(self.optional) else self.optional

    @property
    def typed(self) -> bool:
        """Whether this step waits for something sent rather than a button."""
        return self.type in (StepType.NUMBER, StepType.TIME, StepType.TEXT)


def _is(key: str, *values: Any) -> Callable[[Answers], bool]:
    return lambda answers: answers.get(key) in values


def _short_of_ballots(answers: Answers) -> bool:
    return answers.get("status") == "incomplete" and answers.get("affected") not in (None, OTHER)


def _note_optional(answers: Answers) -> bool:
    """A note may be skipped only when a ballot count already says what is short."""
    return _short_of_ballots(answers)


FLOWS: dict[Kind, tuple[Step, ...]] = {
    Kind.LOGISTIK: (
        Step(StepKey.STATUS, StepType.CHOICE, ("complete", "incomplete", "damaged")),
        Step(StepKey.EXPECTED, StepType.NUMBER),
        Step(
            StepKey.AFFECTED,
            StepType.CHOICE,
            (ELECTION_TYPES, OTHER),
            when=_is("status", "incomplete", "damaged"),
        ),
        Step(StepKey.RECEIVED, StepType.NUMBER, when=_short_of_ballots),
        Step(
            StepKey.NOTE,
            StepType.TEXT,
            optional=_note_optional,
            when=_is("status", "incomplete", "damaged"),
        ),
    ),
    Kind.SIAP: (
        Step(StepKey.READY, StepType.YESNO),
        Step(StepKey.TIME, StepType.TIME),
        Step(StepKey.OFFICERS, StepType.NUMBER, presets=tuple(range(8))),
        Step(StepKey.ACCESSIBLE, StepType.YESNO),
        Step(StepKey.PROBLEM, StepType.TEXT, optional=True),
    ),
    Kind.BANJIR: (
        Step(StepKey.WATER, StepType.NUMBER, presets=tuple(WATER_PRESETS.values())),
        Step(StepKey.USABLE, StepType.YESNO),
        Step(StepKey.RELOCATE, StepType.YESNO),
        Step(StepKey.PLACE, StepType.TEXT, when=_is("relocate", True)),
        Step(StepKey.LOGISTICS_SAFE, StepType.YESNO),
        Step(StepKey.PHOTO, StepType.PHOTO, optional=True),
    ),
    Kind.SINYAL: (
        Step(StepKey.LEVEL, StepType.CHOICE, tuple(SignalLevel)),
        Step(StepKey.OPERATOR, StepType.CHOICE, OPERATORS, optional=True),
        Step(
            StepKey.FALLBACK,
            StepType.CHOICE,
            tuple(Fallback),
            when=_is("level", "none", "weak"),
        ),
        Step(StepKey.PLACE, StepType.TEXT, when=_is("fallback", "place")),
        Step(StepKey.LOCATION, StepType.LOCATION, optional=True),
    ),
    Kind.KEJADIAN: (
        Step(StepKey.CATEGORY, StepType.CHOICE, tuple(Category)),
        Step(StepKey.SEVERITY, StepType.CHOICE, tuple(IncidentSeverity)),
        Step(StepKey.TEXT, StepType.TEXT),
        Step(StepKey.RESOLVED, StepType.YESNO),
        Step(StepKey.PHOTO, StepType.PHOTO, optional=True),
    ),
}
# Which rules.RANGES / TEXT_LIMITS entry a typed step is checked against.
_LIMIT_NAME = {StepKey.WATER: "water_cm", StepKey.PROBLEM: "problem", StepKey.NOTE: "note"}


def step_of(kind: Kind, key: str) -> Step | None:
    for step in FLOWS[kind]:
        if step.key == key:
            return step
    return None


def next_step(kind: Kind, answers: Answers) -> Step | None:
    """The first step that applies and has no answer yet; None when the summary is due."""
    for step in FLOWS[kind]:
        if step.when(answers) and step.key.value not in answers:
            return step
    return None


def applicable(kind: Kind, answers: Answers) -> dict[str, Any]:
    """The answers that count: those of steps that apply given the others."""
    return {
        step.key.value: answers[step.key.value]
        for step in FLOWS[kind]
        if step.key.value in answers and step.when(answers)
    }


def choices(step: Step, election: str) -> tuple[str, ...]:
    """The button values of a choice step (election types come from configuration)."""
    if step.type is StepType.YESNO:
        return ("yes", "no")
    values: list[str] = []
    for option in step.options:
        values.extend(type_codes(election) if option == ELECTION_TYPES else (option,))
    return tuple(values)


def answer_choice(step: Step, value: str, answers: Answers, *, election: str) -> Any:
    """The stored answer for a pressed button (never trusted: it must be one offered)."""
    if value == SKIP and step.skippable(answers):
        return None
    if step.type is StepType.NUMBER and value.isdigit() and int(value) in step.presets:
        return int(value)
    if value not in choices(step, election):
        raise Problem("not_an_option", step.key.value)
    if step.type is StepType.YESNO:
        return value == "yes"
    return value


def answer_typed(step: Step, raw: str, answers: Answers, *, election: str) -> Any:
    """Read a typed answer for this step, or raise `Problem` saying what is wrong."""
    name = _LIMIT_NAME.get(step.key, step.key.value)
    if step.type is StepType.NUMBER:
        water = typed_water(raw) if step.key is StepKey.WATER else None
        if water is not None:
            return water
        value = read_number(raw, name)
        if step.key is StepKey.RECEIVED:
            expected = int(answers.get("expected") or 0)
            if value >= expected:
                raise Problem("not_short", "received", {"expected": expected})
        return value
    if step.type is StepType.TIME:
        return read_time(raw)
    if step.type is StepType.TEXT:
        return read_text(raw, name)
    if step.type in (StepType.CHOICE, StepType.YESNO):
        return _typed_choice(step, raw, election)
    raise Problem(f"send_{step.type.value}", step.key.value)


_YES = {"ya", "y", "yes", "iya", "ok", "bisa", "aman", "sudah"}
_NO = {"tidak", "t", "no", "n", "tdk", "gak", "nggak", "belum", "tak"}


def _typed_choice(step: Step, raw: str, election: str) -> Any:
    """Accept a typed button value ('ya', 'lemah'...) on a choice step; buttons are better."""
    word = raw.strip().lower()
    if step.type is StepType.YESNO:
        if word in _YES:
            return True
        if word in _NO:
            return False
    else:
        offered = choices(step, election)
        value = typed_option(step.key.value, raw)
        if value is not None and value in offered:
            return value
        if word in offered:
            return word
    raise Problem("press_a_button", step.key.value)


def answer_location(step: Step, latitude: float, longitude: float) -> dict[str, float]:
    if step.type is not StepType.LOCATION:
        raise Problem("not_expected_location", step.key.value)
    return check_location(latitude, longitude)


def report_fields(kind: Kind, answers: Answers) -> dict[str, Any]:
    """The applicable answers shaped as the kind's report model expects them."""
    data = applicable(kind, answers)
    if kind is Kind.LOGISTIK:
        received = data.pop("received", None)
        affected = data.get("affected")
        if affected == OTHER:
            data["affected"] = None
        data["received"] = {affected: received} if received is not None and affected else {}
    if kind in (Kind.BANJIR, Kind.KEJADIAN):
        data["photos"] = data.get("photos") or []
    return {k: v for k, v in data.items() if v is not None or k in ("photos",)}
