"""Regions and TPS: bulk import of the master list and scoped lookups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.masterdata import MasterData
from domain.regions import Level, RegionRef, level_of, tps_id
from storage.models import District, Province, Regency, Tps, Village

CHUNK = 5000


@dataclass(frozen=True, slots=True)
class ImportResult:
    provinces: int
    regencies: int
    districts: int
    villages: int
    tps: int
    new_tps: int
    renamed: int


def _insert(session: AsyncSession, table: type) -> sqlite.Insert | postgresql.Insert:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


async def _upsert_names(
    session: AsyncSession, model: Any, rows: list[dict[str, str]], parent: str | None
) -> int:
    """Insert new regions, rename changed ones; return how many were inserted or renamed."""
    existing: dict[str, tuple[str, ...]] = {}
    cols = [model.code, model.name] + ([getattr(model, parent)] if parent else [])
    for row in (await session.execute(select(*cols))).all():
        existing[row[0]] = tuple(row[1:])
    changed = [
        r
        for r in rows
        if existing.get(r["code"]) != ((r["name"], r[parent]) if parent else (r["name"],))
    ]
    for start in range(0, len(changed), CHUNK):
        stmt = _insert(session, model)
        update = {"name": stmt.excluded.name}
        if parent:
            update[parent] = getattr(stmt.excluded, parent)
        await session.execute(
            stmt.on_conflict_do_update(index_elements=["code"], set_=update),
            changed[start : start + CHUNK],
        )
    return len(changed)


async def import_masterdata(session: AsyncSession, data: MasterData) -> ImportResult:
    """Idempotent: regions are upserted and TPS the list adds are inserted; the TPS a shorter
    list leaves out are handled by `storage.tpslists.replace_tps` in the same transaction."""
    touched = 0
    touched += await _upsert_names(
        session, Province, [{"code": c, "name": n} for c, n in data.provinces().items()], None
    )
    touched += await _upsert_names(
        session,
        Regency,
        [{"code": c, "province_code": p, "name": n} for c, (p, n) in data.regencies().items()],
        "province_code",
    )
    touched += await _upsert_names(
        session,
        District,
        [{"code": c, "regency_code": r, "name": n} for c, (r, n) in data.districts().items()],
        "regency_code",
    )
    known = {
        code: (district, name, count)
        for code, district, name, count in (
            await session.execute(
                select(Village.code, Village.district_code, Village.name, Village.tps_count)
            )
        ).all()
    }
    village_rows = [
        {
            "code": v.village_code,
            "district_code": v.district_code,
            "name": v.village,
            "tps_count": v.tps_count,
        }
        for v in data.villages
        if known.get(v.village_code) != (v.district_code, v.village, v.tps_count)
    ]
    for start in range(0, len(village_rows), CHUNK):
        stmt = _insert(session, Village)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["code"],
                set_={
                    "name": stmt.excluded.name,
                    "district_code": stmt.excluded.district_code,
                    # The TPS a shrinking count leaves out are removed or kept apart by
                    # `storage.tpslists.replace_tps`, which runs after this.
                    "tps_count": stmt.excluded.tps_count,
                },
            ),
            village_rows[start : start + CHUNK],
        )
    new_tps = 0
    batch: list[dict[str, object]] = []
    tps_insert = _insert(session, Tps).on_conflict_do_nothing(index_elements=["id"])
    for v in data.villages:
        before = known.get(v.village_code)
        # Numbers up to the count last imported exist already (or were kept apart).
        for number in range((before[2] + 1) if before else 1, v.tps_count + 1):
            batch.append(
                {
                    "id": tps_id(v.village_code, number),
                    "village_code": v.village_code,
                    "number": number,
                    "district_code": v.district_code,
                    "regency_code": v.regency_code,
                    "province_code": v.province_code,
                }
            )
        if len(batch) >= CHUNK:
            await session.execute(tps_insert, batch)
            new_tps += len(batch)
            batch = []
    if batch:
        await session.execute(tps_insert, batch)
        new_tps += len(batch)
    return ImportResult(
        provinces=len(data.provinces()),
        regencies=len(data.regencies()),
        districts=len(data.districts()),
        villages=len(data.villages),
        tps=data.tps_total,
        new_tps=new_tps,
        renamed=touched + len(village_rows),
    )


async def counts(session: AsyncSession, scope: str = "") -> dict[str, int]:
    """Rows per level inside a scope (for reports and tests)."""
    like = f"{scope}%"
    return {
        "provinces": await _count(session, Province.code, like),
        "regencies": await _count(session, Regency.code, like),
        "districts": await _count(session, District.code, like),
        "villages": await _count(session, Village.code, like),
        "tps": int(
            (
                await session.execute(
                    select(func.count()).where(Tps.id.like(like), Tps.retired_at.is_(None))
                )
            ).scalar_one()
        ),
    }


async def _count(session: AsyncSession, column: object, like: str) -> int:
    stmt = select(func.count()).where(column.like(like))  # type: ignore[attr-defined]
    return int((await session.execute(stmt)).scalar_one())


_MODEL_BY_LEVEL: dict[Level, Any] = {
    Level.PROVINCE: Province,
    Level.REGENCY: Regency,
    Level.DISTRICT: District,
    Level.VILLAGE: Village,
}


async def region(session: AsyncSession, code: str) -> RegionRef | None:
    """A region or TPS by code, with a display name; None if unknown."""
    level = level_of(code)
    if level is None:
        return None
    if level is Level.NATION:
        return RegionRef(code, "Indonesia", level)
    if level is Level.TPS:
        row = await session.get(Tps, code)
        if row is None:
            return None
        village = await session.get(Village, row.village_code)
        name = f"TPS {row.number:03d} {village.name if village else ''}".strip()
        return RegionRef(code, name, level)
    model = _MODEL_BY_LEVEL[level]
    found = await session.get(model, code)
    return RegionRef(code, found.name, level) if found else None


# For each level, the level below it: (model, its parent column, child level).
_BELOW: dict[Level, tuple[Any, Any, Level]] = {
    Level.PROVINCE: (Regency, Regency.province_code, Level.REGENCY),
    Level.REGENCY: (District, District.regency_code, Level.DISTRICT),
    Level.DISTRICT: (Village, Village.district_code, Level.VILLAGE),
}


async def children(session: AsyncSession, code: str) -> Sequence[RegionRef]:
    """The regions (or TPS) directly under `code`, sorted by code."""
    level = level_of(code)
    if level is Level.NATION:
        rows = await session.execute(select(Province.code, Province.name).order_by(Province.code))
        return [RegionRef(c, n, Level.PROVINCE) for c, n in rows.all()]
    if level is Level.VILLAGE:
        rows = await session.execute(
            select(Tps.id, Tps.number)
            .where(Tps.village_code == code, Tps.retired_at.is_(None))
            .order_by(Tps.number)
        )
        return [RegionRef(i, f"TPS {n:03d}", Level.TPS) for i, n in rows.all()]
    if level not in _BELOW:
        return []
    model, parent, child_level = _BELOW[level]
    rows = await session.execute(
        select(model.code, model.name).where(parent == code).order_by(model.code)
    )
    return [RegionRef(c, n, child_level) for c, n in rows.all()]


async def first_tps(session: AsyncSession, scope: str) -> str | None:
    """The first TPS (by id) inside `scope`, for examples people can copy; None if none."""
    stmt = (
        select(Tps.id)
        .where(Tps.id.like(f"{scope}%"), Tps.retired_at.is_(None))
        .order_by(Tps.id)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
