"""Which elections a desk's logistics cover, from configuration (`ELECTION`).

Pemilu 2024 had five ballots per voter (presiden, DPR, DPD, DPRD provinsi, DPRD kab/kota);
a Pilkada has two (gubernur, bupati/wali kota). Codes are short and stable: they go into
payloads, quick lines and callback data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ElectionType:
    code: str  # stored in payloads and typed in quick lines
    name: str  # shown as is in both languages (these are proper names)


PEMILU_2024 = (
    ElectionType("pres", "Presiden"),
    ElectionType("dpr", "DPR"),
    ElectionType("dpd", "DPD"),
    ElectionType("dprdprov", "DPRD Provinsi"),
    ElectionType("dprdkab", "DPRD Kab/Kota"),
)
PILKADA = (
    ElectionType("gub", "Gubernur"),
    ElectionType("bup", "Bupati/Wali Kota"),
)
ELECTIONS: dict[str, tuple[ElectionType, ...]] = {"pemilu2024": PEMILU_2024, "pilkada": PILKADA}
DEFAULT_ELECTION = "pemilu2024"


def election_types(election: str) -> tuple[ElectionType, ...]:
    """The ballot types of a configured election; unknown names are a configuration error."""
    try:
        return ELECTIONS[election]
    except KeyError:
        raise ValueError(f"unknown election {election!r}; known: {', '.join(ELECTIONS)}") from None


def type_codes(election: str) -> tuple[str, ...]:
    return tuple(t.code for t in election_types(election))


def type_name(election: str, code: str) -> str:
    for t in election_types(election):
        if t.code == code:
            return t.name
    return code
