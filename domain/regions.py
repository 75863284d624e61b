"""Region codes, TPS ids, scopes and the desk's local time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

TPS_ID_RE = re.compile(r"^(\d{10})-(\d{3})$")
# Forgiving input: "3604012001-3", "3604012001 003", "3604012001/003".
_TPS_LOOSE_RE = re.compile(r"^\s*(\d{10})\s*[-/ .]\s*(?:tps\s*)?(\d{1,3})\s*$", re.IGNORECASE)


class Level(StrEnum):
    NATION = "nation"
    PROVINCE = "province"
    REGENCY = "regency"
    DISTRICT = "district"
    VILLAGE = "village"
    TPS = "tps"


_LEVEL_BY_LENGTH = {
    0: Level.NATION,
    2: Level.PROVINCE,
    4: Level.REGENCY,
    6: Level.DISTRICT,
    10: Level.VILLAGE,
}

# The nation as a scope: an empty code contains every other code.
NATION = ""


def tps_id(village_code: str, number: int) -> str:
    return f"{village_code}-{number:03d}"


def normalize_tps_id(text: str) -> str | None:
    """Return the canonical TPS id for loose input, or None if it is not one."""
    match = _TPS_LOOSE_RE.match(text)
    if not match:
        return None
    number = int(match.group(2))
    if number < 1:
        return None
    return tps_id(match.group(1), number)


def level_of(code: str) -> Level | None:
    """The level of a scope code, or None if the code is malformed."""
    if TPS_ID_RE.match(code):
        return Level.TPS
    if code == NATION:
        return Level.NATION
    if code.isdigit() and code.isascii():
        return _LEVEL_BY_LENGTH.get(len(code))
    return None


def contains(scope: str, code: str) -> bool:
    """Whether region/TPS `code` lies inside `scope` (a scope contains itself)."""
    return code.startswith(scope)


def parent_codes(code: str) -> list[str]:
    """Region codes above `code`, nation excluded, from the province down."""
    prefix = code.split("-")[0]
    return [prefix[:n] for n in (2, 4, 6, 10) if len(prefix) >= n and prefix[:n] != code]


class DeskZone(StrEnum):
    WIB = "Asia/Jakarta"
    WITA = "Asia/Makassar"
    WIT = "Asia/Jayapura"


_WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96"}


def zone_for_province(province_code: str) -> DeskZone:
    """WIB for Sumatra, Java, West and Central Kalimantan; WITA and WIT as the law sets them."""
    if province_code in _WIT_PROVINCES:
        return DeskZone.WIT
    if province_code in _WITA_PROVINCES:
        return DeskZone.WITA
    return DeskZone.WIB


@dataclass(frozen=True, slots=True)
class RegionRef:
    code: str
    name: str
    level: Level


NATION_ALIASES = frozenset({"all", "id", "nasional", "nation", "*"})


def parse_scope(text: str) -> str | None:
    """Canonical scope code for user input: a TPS id, a region code or a nation alias."""
    cleaned = text.strip()
    if cleaned.lower() in NATION_ALIASES:
        return NATION
    tps = normalize_tps_id(cleaned)
    if tps is not None:
        return tps
    if level_of(cleaned) in (Level.PROVINCE, Level.REGENCY, Level.DISTRICT, Level.VILLAGE):
        return cleaned
    return None
