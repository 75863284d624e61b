"""Which TPS list a region has: replacing a region's list for a new election, and showing it.

Each election has its own TPS list (Kota Bogor: 2,910 TPS for the 2024 Pemilu, about 1,530 for
the November 2024 Pilkada). Loading a list for a region makes that region's TPS exactly the
list's: TPS the list adds are inserted (or brought back), and TPS it leaves out are deleted when
nothing points at them, or kept apart (`tps.retired_at`) when people, check-ins or registration
requests do, so nothing filed is ever lost. Each load is recorded in `tps_list`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.masterdata import MasterData
from domain.regions import tps_id
from storage.models import Checkin, Person, RegistrationRequest, Tps, TpsList, Village

CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Replaced:
    """What loading a list changed beyond adding TPS."""

    retired: list[str]  # left out but pointed at: kept apart, listed for the operator
    removed: int  # left out and unused: deleted
    restored: int  # kept apart earlier, in the list again


@dataclass(frozen=True, slots=True)
class LoadedList:
    """A region's loaded list as the desk sees it (`loaded_at` UTC)."""

    region_code: str
    name: str
    file_name: str
    loaded_at: datetime
    tps: int
    retired: int


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


async def _in_use(session: AsyncSession, ids: Sequence[str]) -> set[str]:
    used: set[str] = set()
    for part in _chunks(ids):
        for stmt in (
            select(Checkin.tps_id).where(Checkin.tps_id.in_(part)).distinct(),
            select(Person.scope_code).where(Person.scope_code.in_(part)).distinct(),
            select(RegistrationRequest.tps_id).where(RegistrationRequest.tps_id.in_(part)),
        ):
            used.update((await session.execute(stmt)).scalars())
    return used


async def replace_tps(
    session: AsyncSession,
    data: MasterData,
    regions: Sequence[str],
    *,
    name: str,
    file_name: str,
    now: datetime,
) -> Replaced:
    """Make the TPS of each region in `regions` exactly those of `data` (run after
    `storage.regions.import_masterdata`, in the same transaction) and record the load."""
    wanted = {
        tps_id(v.village_code, n)
        for v in data.villages
        if any(v.village_code.startswith(r) for r in regions)
        for n in range(1, v.tps_count + 1)
    }
    scope_filter = or_(*(Tps.id.like(f"{r}%") for r in regions))
    existing = {
        tid: retired
        for tid, retired in (
            await session.execute(select(Tps.id, Tps.retired_at).where(scope_filter))
        ).all()
    }
    gone = sorted(t for t, retired in existing.items() if t not in wanted and retired is None)
    back = sorted(t for t, retired in existing.items() if t in wanted and retired is not None)
    used = await _in_use(session, gone)
    retire = [t for t in gone if t in used]
    remove = [t for t in gone if t not in used]
    for part in _chunks(retire):
        await session.execute(update(Tps).where(Tps.id.in_(part)).values(retired_at=now))
    for part in _chunks(remove):
        await session.execute(delete(Tps).where(Tps.id.in_(part)))
    for part in _chunks(back):
        await session.execute(update(Tps).where(Tps.id.in_(part)).values(retired_at=None))
    # Villages the list no longer has keep their rows (their TPS may be kept apart).
    listed = {v.village_code for v in data.villages}
    village_codes = await session.execute(
        select(Village.code).where(or_(*(Village.code.like(f"{r}%") for r in regions)))
    )
    absent = sorted(set(village_codes.scalars()) - listed)
    for part in _chunks(absent):
        await session.execute(update(Village).where(Village.code.in_(part)).values(tps_count=0))
    for region in regions:
        count = sum(1 for t in wanted if t.startswith(region))
        session.add(
            TpsList(
                region_code=region,
                name=name,
                file_name=file_name,
                loaded_at=now,
                tps=count,
                retired=sum(1 for t in retire if t.startswith(region)),
                removed=sum(1 for t in remove if t.startswith(region)),
            )
        )
    await session.flush()
    return Replaced(retired=retire, removed=len(remove), restored=len(back))


async def loaded_lists(session: AsyncSession, scope: str = "") -> list[LoadedList]:
    """The newest load of each region inside `scope` (or holding it), by region code."""
    newest = (
        select(TpsList.region_code, func.max(TpsList.id).label("id"))
        .group_by(TpsList.region_code)
        .subquery()
    )
    stmt = select(TpsList).join(newest, newest.c.id == TpsList.id).order_by(TpsList.region_code)
    rows = [
        LoadedList(r.region_code, r.name, r.file_name, r.loaded_at, r.tps, r.retired)
        for r in (await session.execute(stmt)).scalars()
    ]
    return [r for r in rows if scope.startswith(r.region_code) or r.region_code.startswith(scope)]
