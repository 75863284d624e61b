"""What the desk page shows, computed from the digest's `Figures`: pure, so it is table-tested.

The page and the digest share one source (`storage.digest.build` → `Figures`); this module only
shapes it for the screen: a card per kind (filed, share, deadline, overdue), bars for the SVG
chart, and the order of incidents. Percentages round down as in the digest (100 % only when
every TPS has filed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.figures import COVERAGE_KINDS, Figures, RegionRow
from domain.regions import NATION, Level, level_of, parent_codes
from domain.schedule import DeskSchedule

# Incident severity as the officer chose it (`kejadian.severity`), worst first.
INCIDENT_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
# Desk severity of a check-in (`checkin.severity`), worst first.
SEVERITY_ORDER = {"critical": 0, "severe": 1, "warn": 2, "ok": 3}
NATION_SLUG = "nasional"


def percent(filed: int, tps: int) -> int:
    """Whole percent, rounded down (the digest's rule)."""
    return 100 * filed // tps if tps else 0


@dataclass(frozen=True, slots=True)
class KindCard:
    """One kind's card: filed of how many TPS, the deadline (UTC) and whether it is overdue."""

    kind: str
    filed: int
    tps: int
    share: int  # whole percent
    missing: int
    deadline: datetime | None  # UTC
    overdue: bool


def kind_cards(
    row: RegionRow, *, schedule: DeskSchedule, zone: ZoneInfo, now: datetime
) -> list[KindCard]:
    """One card per coverage kind for a region: what is filed, by when, and whether late."""
    cards = []
    for kind in COVERAGE_KINDS:
        rule = schedule.deadlines.get(kind)
        deadline = (
            rule.when.resolve(schedule.election_day, zone)
            if rule is not None and schedule.election_day is not None
            else None
        )
        filed = row.filed.get(kind, 0)
        cards.append(
            KindCard(
                kind=kind,
                filed=filed,
                tps=row.tps,
                share=percent(filed, row.tps),
                missing=row.missing(kind),
                deadline=deadline,
                overdue=deadline is not None and deadline <= now and row.missing(kind) > 0,
            )
        )
    return cards


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of the per-kind chart: a region's share, and where it sits in the SVG."""

    code: str
    name: str
    share: int
    y: int
    width: float  # in percent of the plot width


BAR_HEIGHT = 26
BAR_GAP = 8


def bars(figures: Figures, kind: str, *, limit: int = 40) -> list[Bar]:
    """Bars for one kind, one per row of the breakdown (at most `limit`, the lowest first when
    there are more, so the regions that need attention stay on screen)."""
    rows = figures.rows
    if len(rows) > limit:
        rows = sorted(rows, key=lambda r: (r.share(kind), r.code))[:limit]
    return [
        Bar(
            code=r.code,
            name=r.name,
            share=percent(r.filed.get(kind, 0), r.tps),
            y=index * (BAR_HEIGHT + BAR_GAP),
            width=min(100.0, 100 * r.share(kind)),
        )
        for index, r in enumerate(rows)
    ]


def chart_height(count: int) -> int:
    """Height of a chart with `count` bars, in SVG units."""
    return max(1, count) * (BAR_HEIGHT + BAR_GAP)


def slug(code: str) -> str:
    """A region code as it appears in a URL (the nation has no code)."""
    return code if code != NATION else NATION_SLUG


def unslug(text: str) -> str | None:
    """The region code in a URL, or None when it is not one a page can show."""
    if text == NATION_SLUG:
        return NATION
    level = level_of(text)
    if level in (Level.PROVINCE, Level.REGENCY, Level.DISTRICT, Level.VILLAGE, Level.TPS):
        return text
    return None


def trail(code: str, scope: str) -> list[str]:
    """Codes of the regions above `code` that the viewer may open (inside their scope), from
    the widest down, for the breadcrumb."""
    above = [NATION, *parent_codes(code)]
    return [c for c in above if c.startswith(scope) and c != code]
