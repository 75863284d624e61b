"""Filed check-ins: store a new version, read the current state and the history of a TPS."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.checkins.kinds import Kind, Severity, Source
from domain.checkins.records import Filed, TpsInfo
from storage import rehearsals
from storage.models import Checkin, District, Person, Tps, Village

# Real rows only: a rehearsal's check-ins stay out of every real view (see storage.rehearsals).
REAL = Checkin.rehearsal_id.is_(None)


async def tps_info(session: AsyncSession, tps_id: str) -> TpsInfo | None:
    row = (
        await session.execute(
            select(Tps, Village.name, District.name)
            .join(Village, Village.code == Tps.village_code)
            .join(District, District.code == Tps.district_code)
            .where(Tps.id == tps_id)
        )
    ).first()
    if row is None:
        return None
    tps, village, district = row
    return TpsInfo(
        id=tps.id,
        number=tps.number,
        village=village,
        district=district,
        district_code=tps.district_code,
        regency_code=tps.regency_code,
        province_code=tps.province_code,
    )


def _filed(row: Checkin, name: str | None, *, duplicate: bool = False) -> Filed:
    return Filed(
        id=row.id,
        tps_id=row.tps_id,
        kind=Kind(row.kind),
        version=row.version,
        severity=Severity(row.severity),
        payload=dict(row.payload),
        source=Source(row.source),
        relayed=row.relayed,
        filed_by=name or "",
        sent_at=row.sent_at,
        received_at=row.received_at,
        duplicate=duplicate,
        rehearsal_id=row.rehearsal_id,
    )


async def by_dedupe_key(session: AsyncSession, key: str) -> Filed | None:
    row = (
        await session.execute(
            select(Checkin, Person.name)
            .outerjoin(Person, Person.id == Checkin.filed_by)
            .where(Checkin.dedupe_key == key)
        )
    ).first()
    return _filed(row[0], row[1], duplicate=True) if row else None


async def file_checkin(
    session: AsyncSession,
    *,
    tps: TpsInfo,
    kind: Kind,
    severity: Severity,
    payload: dict[str, Any],
    source: Source,
    filed_by: int | None,
    filed_by_name: str,
    relayed: bool,
    sent_at: datetime,
    received_at: datetime,
    dedupe_key: str,
) -> Filed:
    """Store a new current version (earlier ones stay), or return the one this key made.

    Two writers racing for the same TPS and kind collide on the version's unique constraint;
    the caller retries the transaction (`IntegrityError`).

    While a rehearsal runs, every check-in is the rehearsal's: it takes the next version
    number like any other (so the unique constraint still settles races), but it is never
    current and leaves the real current version alone.
    """
    existing = await by_dedupe_key(session, dedupe_key)
    if existing is not None:
        return existing
    rehearsal = await rehearsals.running_id(session)
    latest = (
        await session.execute(
            select(func.max(Checkin.version)).where(
                Checkin.tps_id == tps.id, Checkin.kind == kind.value
            )
        )
    ).scalar_one()
    if rehearsal is None:
        await session.execute(
            update(Checkin)
            .where(Checkin.tps_id == tps.id, Checkin.kind == kind.value, Checkin.is_current)
            .values(is_current=False)
        )
    row = Checkin(
        tps_id=tps.id,
        kind=kind.value,
        version=(latest or 0) + 1,
        is_current=rehearsal is None,
        rehearsal_id=rehearsal,
        district_code=tps.district_code,
        regency_code=tps.regency_code,
        province_code=tps.province_code,
        severity=severity.value,
        payload=payload,
        source=source.value,
        filed_by=filed_by,
        relayed=relayed,
        sent_at=sent_at,
        received_at=received_at,
        dedupe_key=dedupe_key,
    )
    session.add(row)
    await session.flush()
    return _filed(row, filed_by_name)


async def current(session: AsyncSession, tps_id: str) -> dict[Kind, Filed]:
    """The newest version of each kind filed for a TPS."""
    rows = await session.execute(
        select(Checkin, Person.name)
        .outerjoin(Person, Person.id == Checkin.filed_by)
        .where(Checkin.tps_id == tps_id, Checkin.is_current)
    )
    return {Kind(c.kind): _filed(c, name) for c, name in rows.all()}


async def history(
    session: AsyncSession, tps_id: str, *, kind: Kind | None = None, limit: int = 20
) -> list[Filed]:
    """Versions for a TPS, newest first."""
    stmt = (
        select(Checkin, Person.name)
        .outerjoin(Person, Person.id == Checkin.filed_by)
        .where(Checkin.tps_id == tps_id, REAL)
        .order_by(Checkin.received_at.desc(), Checkin.id.desc())
        .limit(limit)
    )
    if kind is not None:
        stmt = stmt.where(Checkin.kind == kind.value)
    return [_filed(c, name) for c, name in (await session.execute(stmt)).all()]


def _in_scope(model: Any, scope: str) -> Any:
    """A filter on a check-in's denormalised region columns (indexed), falling back to the TPS
    id (villages)."""
    column = {2: "province_code", 4: "regency_code", 6: "district_code"}.get(len(scope))
    if column is not None:
        return getattr(model, column) == scope
    return model.tps_id.like(f"{scope}%")


async def all_in_scope(
    session: AsyncSession,
    scope: str,
    *,
    kind: Kind,
    current_only: bool = False,
    rehearsal: int | None = None,
) -> Sequence[tuple[Checkin, str | None]]:
    """Every version (or only the current ones) of a kind inside a scope, by TPS and version
    (for exports); with `rehearsal`, that rehearsal's newest version of each TPS instead."""
    if rehearsal is not None:
        newest = rehearsals.rehearsal_current(rehearsal).subquery()
        source: Any = aliased(Checkin, newest)
    else:
        source = Checkin
    stmt = (
        select(source, Person.name)
        .outerjoin(Person, Person.id == source.filed_by)
        .where(source.kind == kind.value, _in_scope(source, scope))
        .order_by(source.tps_id, source.version)
    )
    if rehearsal is None:
        stmt = stmt.where(REAL)
        if current_only:
            stmt = stmt.where(Checkin.is_current)
    rows = await session.execute(stmt)
    return [(c, n) for c, n in rows.all()]
