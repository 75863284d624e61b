"""What each view shows, read in one short read-only transaction per request.

Region views use the digest's figures through `storage.digest.region_figures`, as /status does
(the digest's down to regencies, the same rules counted per village below); the lists come
from `storage.dashboard`, a TPS's history from `storage.checkins.history` (the one `/tps` shows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkins.kinds import Kind
from domain.checkins.records import Filed
from domain.dashboard import (
    INCIDENT_ORDER,
    SEVERITY_ORDER,
    KindCard,
    kind_cards,
    trail,
)
from domain.figures import COVERAGE_KINDS, Figures
from domain.regions import Level, RegionRef, level_of
from storage import checkins, dashboard, digest, regions
from storage.dashboard import MissingWithPeople, Problem, TpsRow

LIST_LIMIT = 30
HISTORY_LIMIT = 200
MISSING_LIMIT = 25
# Missing lists are shown from the district down: above that they run to thousands and the
# district view (with its camat) is where someone acts on them.
MISSING_FROM_LENGTH = 6


@dataclass
class RegionView:
    """A region's page: its figures shaped for the screen and the lists under them."""

    code: str
    name: str
    level: Level
    trail: list[RegionRef]
    figures: Figures
    cards: list[KindCard]
    zone: ZoneInfo
    now: datetime
    floods: list[Problem] = field(default_factory=list)
    blank_spots: list[Problem] = field(default_factory=list)
    incidents: list[Problem] = field(default_factory=list)
    tps: list[TpsRow] = field(default_factory=list)
    missing: dict[str, list[MissingWithPeople]] = field(default_factory=dict)

    @property
    def child_codes(self) -> list[str]:
        return [r.code for r in self.figures.rows]


async def _trail(session: AsyncSession, code: str, scope: str) -> list[RegionRef]:
    refs = []
    for above in trail(code, scope):
        found = await regions.region(session, above)
        if found is not None:
            refs.append(found)
    return refs


def by_severity(items: list[Problem]) -> list[Problem]:
    """Worst first (the officer's incident severity, then the desk's), newest first within."""
    ranked = sorted(items, key=lambda p: -p.received_at.timestamp())
    return sorted(
        ranked,
        key=lambda p: (
            INCIDENT_ORDER.get(str(p.payload.get("severity")), 9),
            SEVERITY_ORDER.get(p.severity, 9),
        ),
    )


async def region_view(
    session: AsyncSession,
    found: RegionRef,
    *,
    scope: str,
    now: datetime,
    lists: bool = True,
) -> RegionView:
    """Everything a region's page shows; `lists=False` for the wall (figures and incidents)."""
    setup = await digest.desk_setup(session)
    code = found.code
    figures = await digest.region_figures(session, code, setup=setup, now=now)
    view = RegionView(
        code=code,
        name=found.name,
        level=found.level,
        trail=await _trail(session, code, scope),
        figures=figures,
        cards=kind_cards(figures.total, schedule=setup.schedule, zone=setup.zone, now=now),
        zone=setup.zone,
        now=now,
    )
    view.incidents = by_severity(
        await dashboard.problems(session, Kind.KEJADIAN, code, limit=4 * LIST_LIMIT)
    )[:LIST_LIMIT]
    if not lists:
        return view
    view.floods = by_severity(
        await dashboard.problems(session, Kind.BANJIR, code, limit=4 * LIST_LIMIT)
    )[:LIST_LIMIT]
    view.blank_spots = (await dashboard.problems(session, Kind.SINYAL, code, limit=LIST_LIMIT))[
        :LIST_LIMIT
    ]
    if found.level is Level.VILLAGE:
        view.tps = await dashboard.tps_rows(session, code)
    if len(code) >= MISSING_FROM_LENGTH:
        view.missing = await dashboard.missing_with_people(
            session, COVERAGE_KINDS, code, limit=MISSING_LIMIT
        )
    return view


@dataclass
class TpsView:
    """One TPS's page: every check-in version, oldest first (the history /tps shows)."""

    code: str
    name: str
    trail: list[RegionRef]
    entries: list[Filed]  # newest first
    current: set[tuple[str, int]]  # (kind, version) of each kind's current version
    checkin_ids: dict[tuple[str, int], int]
    zone: ZoneInfo


async def tps_view(session: AsyncSession, found: RegionRef, *, scope: str) -> TpsView:
    """Read what a TPS's page shows."""
    setup = await digest.desk_setup(session)
    entries = await checkins.history(session, found.code, limit=HISTORY_LIMIT)
    current: dict[str, int] = {}
    for entry in entries:
        current[entry.kind.value] = max(entry.version, current.get(entry.kind.value, 0))
    ids = await dashboard.checkin_ids(session, found.code)
    return TpsView(
        code=found.code,
        name=found.name,
        trail=await _trail(session, found.code, scope),
        entries=entries,
        current={(kind, version) for kind, version in current.items()},
        checkin_ids=ids,
        zone=setup.zone,
    )


def is_region(code: str) -> bool:
    """Whether a code names a region (not a TPS) the wall can show."""
    return level_of(code) in (
        Level.NATION,
        Level.PROVINCE,
        Level.REGENCY,
        Level.DISTRICT,
        Level.VILLAGE,
    )
