"""The desk's figures: coverage per kind, floods, blank spots, incidents, change and laggards.

Input is what storage counts (a `Tally` per district: check-ins per kind, and how many of them
are problems or serious, over current check-ins only);
output is one `Figures` per scope, broken down by the level below the scope (regencies for a
province desk, districts for a city desk), which is what digests, /rekap and the chart show.

Which check-ins count as what (see `domain.checkins.kinds`):
- a TPS has *filed* a kind when it has a current check-in of that kind;
- a *flood* is a current banjir check-in of severity other than ok; a *severe* flood is one of
  severity severe or critical (named in the digest);
- a *blank spot* is a current sinyal check-in of severity severe or critical (no signal);
- an *open incident* is a current kejadian check-in whose payload says `resolved` false.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from domain.checkins.kinds import Kind, Severity

# Kinds every TPS is expected to file; kejadian is filed only when something happens.
COVERAGE_KINDS: tuple[str, ...] = (Kind.LOGISTIK, Kind.SIAP, Kind.BANJIR, Kind.SINYAL)
SERIOUS = frozenset({Severity.SEVERE.value, Severity.CRITICAL.value})
LAGGING_COUNT = 5


@dataclass(slots=True)
class RegionRow:
    code: str
    name: str
    tps: int = 0
    filed: dict[str, int] = field(default_factory=dict)
    problems: dict[str, int] = field(default_factory=dict)  # kind -> filed with severity not ok
    floods: int = 0
    severe_floods: int = 0
    blank_spots: int = 0
    open_incidents: int = 0

    def share(self, kind: str) -> float:
        return self.filed.get(kind, 0) / self.tps if self.tps else 0.0

    def missing(self, kind: str) -> int:
        return max(0, self.tps - self.filed.get(kind, 0))

    def add(self, other: RegionRow) -> None:
        self.tps += other.tps
        for kind, n in other.filed.items():
            self.filed[kind] = self.filed.get(kind, 0) + n
        for kind, n in other.problems.items():
            self.problems[kind] = self.problems.get(kind, 0) + n
        self.floods += other.floods
        self.severe_floods += other.severe_floods
        self.blank_spots += other.blank_spots
        self.open_incidents += other.open_incidents


@dataclass(frozen=True, slots=True)
class Tally:
    """One district's (or village's) current check-ins, per kind (kind value -> check-ins):
    all of them (`filed`), those with a severity other than ok (`problems`), and those severe
    or critical (`serious`). Kinds with none are left out of each mapping."""

    filed: dict[str, int]
    problems: dict[str, int] = field(default_factory=dict)
    serious: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Counts:
    """Raw counts from storage, keyed by district code."""

    tps_by_district: dict[str, int]
    by_district: dict[str, Tally]  # district -> its current check-ins per kind
    open_incidents: dict[str, int]  # district -> open incidents
    severe_flood_tps: list[tuple[str, str]]  # (TPS id, village name), sorted
    names: dict[str, str]  # region code -> name, for breakdown regions and districts
    by_sms: int = 0  # current check-ins that came by SMS (the gateway phone)


@dataclass(slots=True)
class Figures:
    scope: str
    scope_name: str
    at: str  # ISO UTC moment the figures describe
    total: RegionRow
    rows: list[RegionRow]
    severe_floods: list[tuple[str, str]]
    focus_kind: str
    lagging: list[RegionRow]  # districts with the lowest share of the focus kind
    overdue: dict[str, int]  # kind whose deadline passed -> TPS still missing
    by_sms: int = 0  # current check-ins in scope that came by SMS

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figures:
        def row(raw: dict[str, Any]) -> RegionRow:
            return RegionRow(**raw)

        return cls(
            scope=data["scope"],
            scope_name=data["scope_name"],
            at=data["at"],
            total=row(data["total"]),
            rows=[row(r) for r in data["rows"]],
            severe_floods=[(a, b) for a, b in data["severe_floods"]],
            focus_kind=data["focus_kind"],
            lagging=[row(r) for r in data["lagging"]],
            overdue=dict(data["overdue"]),
            by_sms=int(data.get("by_sms", 0)),
        )


def breakdown_length(scope: str) -> int:
    """Code length of the level shown per row: the level below the scope, at most districts."""
    return {0: 2, 2: 4}.get(len(scope), 6)


def _district_rows(counts: Counts) -> dict[str, RegionRow]:
    """One row per district from its tally: floods are the banjir problems, severe floods the
    serious ones, blank spots the serious sinyal check-ins."""
    names = counts.names
    rows = {d: RegionRow(d, names.get(d, d), tps=n) for d, n in counts.tps_by_district.items()}
    banjir, sinyal = Kind.BANJIR.value, Kind.SINYAL.value
    for district, tally in counts.by_district.items():
        row = rows.get(district)
        if row is None:
            row = rows[district] = RegionRow(district, names.get(district, district))
        row.filed, row.problems = dict(tally.filed), dict(tally.problems)
        row.floods = tally.problems.get(banjir, 0)
        row.severe_floods = tally.serious.get(banjir, 0)
        row.blank_spots = tally.serious.get(sinyal, 0)
    for district, n in counts.open_incidents.items():
        row = rows.get(district)
        if row is None:
            row = rows[district] = RegionRow(district, names.get(district, district))
        row.open_incidents += n
    return rows


def build_figures(
    counts: Counts,
    *,
    scope: str,
    scope_name: str,
    at: str,
    focus_kind: str | None,
    overdue_kinds: list[str],
    lagging_count: int = LAGGING_COUNT,
    length: int | None = None,
) -> Figures:
    """Roll district counts up to the breakdown level and the scope's total.

    `length` is the code length of the rows (default `breakdown_length(scope)`); the desk page
    passes 10 with counts keyed by village (`storage.dashboard.village_counts`), and the
    "districts" of `Counts` are then villages.
    """
    districts = _district_rows(counts)
    length = breakdown_length(scope) if length is None else length
    grouped: dict[str, RegionRow] = defaultdict(lambda: RegionRow("", ""))
    for code, district in districts.items():
        key = code[:length]
        target = grouped[key]
        if not target.code:
            target.code, target.name = key, counts.names.get(key, key)
        target.add(district)
    total = RegionRow(scope, scope_name)
    for row in grouped.values():
        total.add(row)
    focus = focus_kind or COVERAGE_KINDS[0]
    lagging = sorted(
        (d for d in districts.values() if d.tps and d.missing(focus)),
        key=lambda d: (d.share(focus), -d.tps, d.code),
    )[:lagging_count]
    return Figures(
        scope=scope,
        scope_name=scope_name,
        at=at,
        total=total,
        rows=sorted(grouped.values(), key=lambda r: r.code),
        severe_floods=list(counts.severe_flood_tps),
        focus_kind=focus,
        lagging=lagging,
        overdue={kind: total.missing(kind) for kind in overdue_kinds},
        by_sms=counts.by_sms,
    )


@dataclass(frozen=True, slots=True)
class Change:
    """Check-ins filed since the previous digest: per kind for the scope, and per row."""

    total: dict[str, int]
    rows: dict[str, dict[str, int]]
    since: str


def change(previous: Figures | None, current: Figures) -> Change | None:
    if previous is None or previous.scope != current.scope:
        return None
    before = {r.code: r for r in previous.rows}
    rows = {
        r.code: {
            kind: r.filed.get(kind, 0)
            - (before[r.code].filed.get(kind, 0) if r.code in before else 0)
            for kind in COVERAGE_KINDS
        }
        for r in current.rows
    }
    total = {
        kind: current.total.filed.get(kind, 0) - previous.total.filed.get(kind, 0)
        for kind in COVERAGE_KINDS
    }
    return Change(total=total, rows=rows, since=previous.at)


def worst_rows(figures: Figures, limit: int) -> list[RegionRow]:
    """The rows to show when there are too many: the lowest share of the focus kind first."""
    if len(figures.rows) <= limit:
        return figures.rows
    kind = figures.focus_kind
    chosen = sorted(figures.rows, key=lambda r: (r.share(kind), r.code))[:limit]
    return sorted(chosen, key=lambda r: r.code)
