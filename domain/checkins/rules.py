"""Field limits and the forgiving readers for typed values (numbers, times, places, notes).

Both ways of filing (guided steps and quick lines) go through these, so a value refused in
one is refused in the other for the same reason. A refusal is a `Problem`: a short code the
handlers turn into a sentence, the field it concerns, and the values the sentence needs.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

# Inclusive ranges for numbers officers type or pick.
RANGES: dict[str, tuple[int, int]] = {
    "expected": (1, 1000),  # ballots per type at one TPS: DPT (at most ~300) + 2% reserve
    "received": (0, 2000),
    "officers": (0, 7),  # a KPPS has seven members
    "water_cm": (0, 300),
}
# (shortest, longest) for typed text, in characters after trimming.
TEXT_LIMITS: dict[str, tuple[int, int]] = {
    "note": (3, 200),
    "problem": (3, 200),
    "place": (3, 100),
    "text": (5, 500),
}
# Water levels officers know by body height, as centimetres (also the guided buttons).
WATER_PRESETS: dict[str, int] = {"none": 0, "ankle": 10, "knee": 40, "waist": 80}
OPERATORS = ("telkomsel", "indosat", "xl", "tri", "smartfren", "other")
MAX_PHOTOS = 5
# Indonesia's extent with a margin: a location outside it is a mistake (or 0,0).
LATITUDE = (-12.0, 7.0)
LONGITUDE = (94.0, 142.0)


@dataclass
class Problem(Exception):
    """Why a value or a report was refused: `code` names the sentence, `field` the answer."""

    code: str
    field: str = ""
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}({self.field}){self.params or ''}"


_NUMBER_RE = re.compile(r"^\s*(\d{1,6})\s*(cm|orang|org|lembar|lbr)?\s*$", re.IGNORECASE)
_TIME_RE = re.compile(
    r"^\s*(\d{1,2})(?:\s*[:.]\s*|h)?(\d{2})?\s*(wib|wita|wit)?\s*$", re.IGNORECASE
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def level_name_for_cm(water_cm: int) -> str:
    """The body-height name for a water level: none, ankle, knee or waist (or more)."""
    if water_cm <= 0:
        return "none"
    if water_cm < 30:
        return "ankle"
    if water_cm < 70:
        return "knee"
    return "waist"


def read_number(raw: str, name: str) -> int:
    """A whole number within the field's range; '40 cm' and ' 7 ' are fine, '4O' is not."""
    match = _NUMBER_RE.match(raw)
    if match is None:
        raise Problem("not_a_number", name, {"low": RANGES[name][0], "high": RANGES[name][1]})
    return check_range(int(match.group(1)), name)


def check_range(value: int, name: str) -> int:
    low, high = RANGES[name]
    if not low <= value <= high:
        raise Problem("out_of_range", name, {"low": low, "high": high, "value": value})
    return value


def read_time(raw: str, name: str = "time") -> str:
    """A real clock time as HH:MM: '6:30', '06.30', '0630', '7' and '07:15 WIB' are fine."""
    match = _TIME_RE.match(raw)
    if match is None:
        raise Problem("bad_time", name)
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise Problem("bad_time", name)
    return f"{hours:02d}:{minutes:02d}"


def read_text(raw: str, name: str) -> str:
    """Typed text with whitespace collapsed and control characters dropped, within limits."""
    cleaned = " ".join(_CONTROL_RE.sub(" ", raw).split())
    low, high = TEXT_LIMITS[name]
    if len(cleaned) < low:
        raise Problem("text_too_short", name, {"low": low})
    if len(cleaned) > high:
        raise Problem("text_too_long", name, {"high": high, "length": len(cleaned)})
    return cleaned


def check_location(latitude: float, longitude: float) -> dict[str, float]:
    if not (LATITUDE[0] <= latitude <= LATITUDE[1] and LONGITUDE[0] <= longitude <= LONGITUDE[1]):
        raise Problem("location_outside", "location")
    return {"latitude": round(latitude, 6), "longitude": round(longitude, 6)}
