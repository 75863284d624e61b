"""The five kinds of check-in as validated models, and how serious each filed one is.

`build(kind, data, election=...)` is the one door: guided answers and parsed quick lines both
pass through it, and anything a desk would reject raises `Problem`. The stored payload is
`report.model_dump(mode="json")`; the keys listed in `kinds.py` are part of a contract.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from domain.checkins.elections import type_codes
from domain.checkins.kinds import Kind, Severity
from domain.checkins.rules import (
    MAX_PHOTOS,
    OPERATORS,
    Problem,
    check_location,
    check_range,
    level_name_for_cm,
    read_text,
    read_time,
)


class LogistikStatus(StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    DAMAGED = "damaged"


class Report(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    def severity(self) -> Severity:
        raise NotImplementedError


def _text(value: str | None, name: str) -> str | None:
    return None if value is None else read_text(value, name)


class Logistik(Report):
    """Ballots against expected per election type, boxes, equipment; what is short or damaged."""

    status: LogistikStatus
    expected: int | None = None  # ballots expected per type (DPT + 2%)
    received: dict[str, int] = {}  # election type -> ballots received, only where short
    affected: str | None = None  # the election type a shortage or damage concerns
    note: str | None = None

    @model_validator(mode="after")
    def _rules(self, info: Any) -> Logistik:
        election = (info.context or {}).get("election", "pemilu2024")
        known = type_codes(election)
        if self.expected is not None:
            check_range(self.expected, "expected")
        for code, count in self.received.items():
            if code not in known:
                raise Problem("unknown_type", "received", {"type": code})
            check_range(count, "received")
            if self.expected is None:
                raise Problem("expected_needed", "expected")
            if count >= self.expected:
                raise Problem("not_short", "received", {"expected": self.expected})
        if self.affected is not None and self.affected not in known:
            raise Problem("unknown_type", "affected", {"type": self.affected})
        object.__setattr__(self, "note", _text(self.note, "note"))
        if self.status is LogistikStatus.COMPLETE and (self.received or self.affected):
            raise Problem("complete_but_short", "status")
        if self.status is LogistikStatus.INCOMPLETE and not (self.received or self.note):
            raise Problem("say_what_is_short", "note")
        if self.status is LogistikStatus.DAMAGED and not self.note:
            raise Problem("say_what_is_damaged", "note")
        return self

    def severity(self) -> Severity:
        return {
            LogistikStatus.COMPLETE: Severity.OK,
            LogistikStatus.INCOMPLETE: Severity.WARN,
            LogistikStatus.DAMAGED: Severity.SEVERE,
        }[self.status]


class Siap(Report):
    """Set up or not, at what time, how many officers, accessible, any problem."""

    ready: bool
    time: str
    officers: int
    # None: not said (a one-line SIAP without AKSES); never shown as "yes".
    accessible: bool | None = None
    problem: str | None = None

    @model_validator(mode="after")
    def _rules(self) -> Siap:
        object.__setattr__(self, "time", read_time(self.time))
        check_range(self.officers, "officers")
        object.__setattr__(self, "problem", _text(self.problem, "problem"))
        return self

    def severity(self) -> Severity:
        fine = (
            self.ready and self.officers == 7 and self.accessible is not False and not self.problem
        )
        return Severity.OK if fine else Severity.WARN


class Banjir(Report):
    """Water level, whether the TPS can be used, relocation and where, logistics, photos."""

    water_cm: int
    usable: bool
    relocate: bool = False
    place: str | None = None
    logistics_safe: bool | None = None  # None: not said (a one-line report without it)
    photos: list[str] = []
    level: str = ""  # derived from water_cm, stored for people reading exports

    @model_validator(mode="after")
    def _rules(self) -> Banjir:
        check_range(self.water_cm, "water_cm")
        if self.relocate and not self.place:
            raise Problem("place_needed", "place")
        place = _text(self.place, "place") if self.relocate else None
        object.__setattr__(self, "place", place)
        if len(self.photos) > MAX_PHOTOS:
            raise Problem("too_many_photos", "photo", {"high": MAX_PHOTOS})
        object.__setattr__(self, "level", level_name_for_cm(self.water_cm))
        return self

    def severity(self) -> Severity:
        if not self.usable:
            return Severity.CRITICAL
        if self.relocate or self.water_cm >= 70 or self.logistics_safe is False:
            return Severity.SEVERE
        return Severity.WARN if self.water_cm > 0 else Severity.OK


class SignalLevel(StrEnum):
    NONE = "none"
    WEAK = "weak"
    GOOD = "good"


class Fallback(StrEnum):
    PLACE = "place"  # walk to a place with signal
    MANUAL = "manual"  # recap by hand
    NONE = "none"


class Sinyal(Report):
    """Signal level, operator, what the officers will do without it, where the TPS is."""

    level: SignalLevel
    operator: str | None = None
    fallback: Fallback | None = None
    place: str | None = None
    location: dict[str, float] | None = None

    @model_validator(mode="after")
    def _rules(self) -> Sinyal:
        if self.operator is not None and self.operator not in OPERATORS:
            raise Problem("unknown_operator", "operator", {"operator": self.operator})
        if self.level is SignalLevel.GOOD:
            object.__setattr__(self, "fallback", None)
        if self.fallback is Fallback.PLACE and not self.place:
            raise Problem("place_needed", "place")
        place = _text(self.place, "place") if self.fallback is Fallback.PLACE else None
        object.__setattr__(self, "place", place)
        if self.location is not None:
            location = check_location(
                float(self.location.get("latitude", 0.0)),
                float(self.location.get("longitude", 0.0)),
            )
            object.__setattr__(self, "location", location)
        return self

    def severity(self) -> Severity:
        return {
            SignalLevel.NONE: Severity.SEVERE,
            SignalLevel.WEAK: Severity.WARN,
            SignalLevel.GOOD: Severity.OK,
        }[self.level]


class Category(StrEnum):
    SECURITY = "security"
    HEALTH = "health"
    HOAX = "hoax"
    LOGISTICS = "logistics"
    OTHER = "other"


class IncidentSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Kejadian(Report):
    """What happened (category, how serious, in words), whether it is over, photos."""

    category: Category
    severity_level: IncidentSeverity
    text: str
    resolved: bool = False
    photos: list[str] = []

    @model_validator(mode="after")
    def _rules(self) -> Kejadian:
        object.__setattr__(self, "text", read_text(self.text, "text"))
        if len(self.photos) > MAX_PHOTOS:
            raise Problem("too_many_photos", "photo", {"high": MAX_PHOTOS})
        return self

    def payload(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"severity_level"})
        data["severity"] = self.severity_level.value  # the key digests read
        return data

    def severity(self) -> Severity:
        if self.resolved:
            return Severity.OK
        return {
            IncidentSeverity.CRITICAL: Severity.CRITICAL,
            IncidentSeverity.HIGH: Severity.SEVERE,
        }.get(self.severity_level, Severity.WARN)


MODELS: dict[Kind, type[Report]] = {
    Kind.LOGISTIK: Logistik,
    Kind.SIAP: Siap,
    Kind.BANJIR: Banjir,
    Kind.SINYAL: Sinyal,
    Kind.KEJADIAN: Kejadian,
}


def build(kind: Kind, data: dict[str, Any], *, election: str = "pemilu2024") -> Report:
    """Validate a kind's answers into its report, or raise `Problem`."""
    fields = dict(data)
    if kind is Kind.KEJADIAN and "severity" in fields:
        fields["severity_level"] = fields.pop("severity")
    try:
        return MODELS[kind].model_validate(fields, context={"election": election})
    except ValidationError as exc:
        raise _problem(exc) from None


def payload_of(report: Report) -> dict[str, Any]:
    """The JSON stored in `checkin.payload`."""
    if isinstance(report, Kejadian):
        return report.payload()
    return report.model_dump(mode="json")


def _problem(exc: ValidationError) -> Problem:
    first = exc.errors()[0]
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, Problem):
        return cause
    name = str(first["loc"][0]) if first.get("loc") else ""
    if first["type"] == "missing":
        return Problem("missing", name)
    return Problem("invalid", name)
