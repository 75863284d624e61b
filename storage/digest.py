"""Building a digest's figures for a scope: the desk's setup, counts, and the domain's rules.
The one source of coverage figures: the scheduled digests and /rekap use `build`, /status and
the desk page (`web`) use `region_figures`, which is `build` down to regencies and the same
rules counted per village below; so all show the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.figures import Figures, breakdown_length, build_figures
from domain.regions import contains
from domain.schedule import DeskSchedule, desk_zone
from domain.slots import focus_kind, overdue_kinds
from storage import dashboard, regions, rehearsals, schedules
from storage import figures as counting
from storage.models import Province


@dataclass(frozen=True, slots=True)
class DeskSetup:
    schedule: DeskSchedule
    zone: ZoneInfo
    scope: str  # the desk's scope: "36" for a province desk, "3672" for a city desk
    # Set for a rehearsal's slots: its schedule, its figures, SIMULASI on every message.
    rehearsal: int | None = None


async def desk_setup(session: AsyncSession, *, rehearsal: int | None = None) -> DeskSetup:
    """The desk's schedule, zone and scope; with `rehearsal`, that rehearsal's schedule."""
    stored, _ = await schedules.load_schedule(session)
    schedule = stored or DeskSchedule()
    scope = await counting.desk_scope(session, schedule.scope)
    province = scope[:2] or None
    override = schedule.timezone
    if override is None and province:
        override = (
            await session.execute(select(Province.timezone).where(Province.code == province))
        ).scalar_one_or_none()
    zone = desk_zone(override, province)
    if rehearsal is not None:
        info = await rehearsals.get(session, rehearsal)
        if info is not None:
            return DeskSetup(info.plan.schedule(info.started_at, zone), zone, scope, rehearsal)
    return DeskSetup(schedule, zone, scope)


def digest_scope(desk: str, group: str) -> str:
    """A group registered for a region inside the desk gets that region; others the desk's."""
    return group if contains(desk, group) and len(group) > len(desk) else desk


async def build(session: AsyncSession, scope: str, *, setup: DeskSetup, now: datetime) -> Figures:
    counts = await counting.load_counts(
        session, scope, length=breakdown_length(scope), rehearsal=setup.rehearsal
    )
    found = await regions.region(session, scope)
    return build_figures(
        counts,
        scope=scope,
        scope_name=found.name if found else scope,
        at=now.isoformat(),
        focus_kind=focus_kind(setup.schedule, setup.zone, now),
        overdue_kinds=overdue_kinds(setup.schedule, setup.zone, now),
    )


async def build_below_district(
    session: AsyncSession, scope: str, *, setup: DeskSetup, now: datetime
) -> Figures:
    """Figures of a district or a village, one row per village (the desk page's drill-down;
    digests stop at districts). Same rules as `build`, counted per village."""
    counts = await dashboard.village_counts(session, scope)
    found = await regions.region(session, scope)
    return build_figures(
        counts,
        scope=scope,
        scope_name=found.name if found else scope,
        at=now.isoformat(),
        focus_kind=focus_kind(setup.schedule, setup.zone, now),
        overdue_kinds=overdue_kinds(setup.schedule, setup.zone, now),
        length=10,
    )


async def region_figures(
    session: AsyncSession, scope: str, *, setup: DeskSetup, now: datetime
) -> Figures:
    """Figures of any region, broken down one level below it: the digest's (`build`) for the
    nation, a province or a regency; per village (`build_below_district`) for a district or a
    village. Their totals are the digest's for the same scope."""
    if len(scope) <= 4:
        return await build(session, scope, setup=setup, now=now)
    return await build_below_district(session, scope, setup=setup, now=now)
