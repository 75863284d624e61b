"""Filed check-ins: store a new version, read the current state and the history of a TPS."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.checkins.kinds import Kind, Severity, Source
from domain.checkins.records import Filed, TpsInfo
from storage import rehearsals
from storage.models import Checkin, District, Person, Tps, Village

# Real rows only: a rehearsal's check-ins stay out of every real view (see storage.rehearsals).
REAL = Checkin.rehearsal_id.is_(None)


# The hot path (one check-in) runs prebuilt Core statements on the tables: compiled once, no
# ORM objects built per row.
_TPS, _VILLAGE, _DISTRICT = Tps.__table__.c, Village.__table__.c, District.__table__.c
_CHECKIN = cast(Table, Checkin.__table__)
_TPS_INFO = (
    select(
        _TPS.id,
        _TPS.number,
        _VILLAGE.name,
        _DISTRICT.name,
        _TPS.district_code,
        _TPS.regency_code,
        _TPS.province_code,
    )
    .join_from(Tps.__table__, Village.__table__, _VILLAGE.code == _TPS.village_code)
    .join(District.__table__, _DISTRICT.code == _TPS.district_code)
    .where(_TPS.id == bindparam("tps"))
)
# What filing needs to know first, in one round trip: a check-in stored before under this key,
# the running rehearsal, the newest version of this TPS and kind.
_BEFORE_FILING = select(
    select(_CHECKIN.c.id).where(_CHECKIN.c.dedupe_key == bindparam("key")).scalar_subquery(),
    rehearsals.RUNNING_ID.scalar_subquery(),
    select(func.max(_CHECKIN.c.version))
    .where(_CHECKIN.c.tps_id == bindparam("tps"), _CHECKIN.c.kind == bindparam("kind"))
    .scalar_subquery(),
)
# Both in one round trip, for storing a check-in (`storage.filing`): no row if no such TPS.
_TPS_AND_BEFORE = _TPS_INFO.add_columns(*_BEFORE_FILING.selected_columns)
_RETIRE = (
    update(_CHECKIN)
    .where(
        _CHECKIN.c.tps_id == bindparam("tps"),
        _CHECKIN.c.kind == bindparam("old_kind"),
        _CHECKIN.c.is_current,
    )
    .values(is_current=False)
)
_INSERT = insert(_CHECKIN).returning(_CHECKIN.c.id)
_KIND_AND_SEVERITY = select(_CHECKIN.c.kind, _CHECKIN.c.severity).where(
    _CHECKIN.c.id == bindparam("id")
)


# What `file_checkin` reads first (check-in id stored under the key, running rehearsal id,
# newest version of the TPS and kind), when the caller read it already (`tps_for_filing`).
Before = tuple[int | None, int | None, int | None]


async def tps_info(session: AsyncSession, tps_id: str) -> TpsInfo | None:
    """A TPS with its village and district names; None if there is no such TPS."""
    row = (await session.execute(_TPS_INFO, {"tps": tps_id})).first()
    return _tps_of(row) if row is not None else None


async def tps_for_filing(
    session: AsyncSession, tps_id: str, kind: Kind, dedupe_key: str
) -> tuple[TpsInfo, Before] | None:
    """`tps_info` and what `file_checkin` must know before filing this kind under this key,
    in one statement (hand the second to `file_checkin(before=...)` in the same transaction);
    None if there is no such TPS."""
    row = (
        await session.execute(
            _TPS_AND_BEFORE, {"tps": tps_id, "key": dedupe_key, "kind": kind.value}
        )
    ).first()
    if row is None:
        return None
    return _tps_of(row[:7]), (row[7], row[8], row[9])


def _tps_of(row: Any) -> TpsInfo:
    id_, number, village, district, district_code, regency_code, province_code = row
    return TpsInfo(
        id=id_,
        number=number,
        village=village,
        district=district,
        district_code=district_code,
        regency_code=regency_code,
        province_code=province_code,
    )


async def kind_and_severity(session: AsyncSession, checkin_id: int) -> tuple[str, str] | None:
    """A check-in's kind and severity (what decides an alert); None if there is no such one."""
    row = (await session.execute(_KIND_AND_SEVERITY, {"id": checkin_id})).first()
    return (row[0], row[1]) if row is not None else None


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
    """The check-in stored under this key, marked `duplicate`; None if there is none."""
    return await _stored(session, Checkin.dedupe_key == key)


async def _by_id(session: AsyncSession, checkin_id: int) -> Filed | None:
    return await _stored(session, Checkin.id == checkin_id)


async def _stored(session: AsyncSession, where: Any) -> Filed | None:
    row = (
        await session.execute(
            select(Checkin, Person.name)
            .outerjoin(Person, Person.id == Checkin.filed_by)
            .where(where)
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
    before: Before | None = None,
) -> Filed:
    """Store a new current version (earlier ones stay), or return the one this key made.
    `before`: what `tps_for_filing` read in this transaction (else it is read here).

    Two writers racing for the same TPS and kind collide on the version's unique constraint;
    the caller retries the transaction (`IntegrityError`).

    While a rehearsal runs, every check-in is the rehearsal's: it takes the next version
    number like any other (so the unique constraint still settles races), but it is never
    current and leaves the real current version alone.
    """
    if before is None:
        found = await session.execute(
            _BEFORE_FILING, {"key": dedupe_key, "tps": tps.id, "kind": kind.value}
        )
        before = cast(Before, tuple(found.one()))
    existing, rehearsal, latest = before
    if existing is not None:
        stored = await _by_id(session, existing)
        assert stored is not None  # found by this transaction a moment ago
        return stored
    if rehearsal is None and latest is not None:  # no version yet: nothing to retire
        await session.execute(_RETIRE, {"tps": tps.id, "old_kind": kind.value})
    version = (latest or 0) + 1
    inserted = await session.execute(
        _INSERT,
        {
            "tps_id": tps.id,
            "kind": kind.value,
            "version": version,
            "is_current": rehearsal is None,
            "rehearsal_id": rehearsal,
            "district_code": tps.district_code,
            "regency_code": tps.regency_code,
            "province_code": tps.province_code,
            "severity": severity.value,
            "payload": payload,
            "source": source.value,
            "filed_by": filed_by,
            "relayed": relayed,
            "sent_at": sent_at,
            "received_at": received_at,
            "dedupe_key": dedupe_key,
        },
    )
    return Filed(
        id=inserted.scalar_one(),
        tps_id=tps.id,
        kind=kind,
        version=version,
        severity=severity,
        payload=dict(payload),
        source=source,
        relayed=relayed,
        filed_by=filed_by_name,
        sent_at=sent_at,
        received_at=received_at,
        rehearsal_id=rehearsal,
    )


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
