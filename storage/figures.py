"""Counting for digests: one query per figure family, grouped by district.

Coverage, floods and blank spots come from `checkin_count` (current check-ins per district,
kind and severity, kept by triggers on `checkin`): a few thousand rows for a whole province
instead of one index entry per check-in. The check-ins a digest names (severe floods) and the
incidents (whose `resolved` flag lives in the payload) are read through the partial index
`ix_checkin_current_kind_severity`. The `is_current` filter is written as the bare column,
exactly as in the partial indexes' WHERE clause, so SQLite can prove they apply.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkins.kinds import Kind
from domain.figures import SERIOUS, Counts
from domain.regions import NATION
from storage import rehearsals
from storage.coverage import CURRENT
from storage.models import (
    Checkin,
    CheckinCount,
    District,
    Province,
    Regency,
    SmsInbound,
    Tps,
    Village,
)


def _prefix(column: Any, scope: str) -> ColumnElement[bool]:
    """`column` starts with `scope`, as a range the index can use (digits only)."""
    if not scope:
        return column.is_not(None)
    upper = scope[:-1] + chr(ord(scope[-1]) + 1)
    return and_(column >= scope, column < upper)


async def desk_scope(session: AsyncSession, configured: str | None) -> str:
    """The desk's scope: the config's, else the narrowest region holding every imported TPS."""
    if configured is not None:
        return configured
    provinces = list((await session.execute(select(Province.code).limit(2))).scalars())
    if len(provinces) != 1:
        return NATION
    regencies = list(
        (
            await session.execute(
                select(Regency.code).where(Regency.province_code == provinces[0]).limit(2)
            )
        ).scalars()
    )
    return regencies[0] if len(regencies) == 1 else provinces[0]


async def region_names(session: AsyncSession, scope: str, length: int) -> dict[str, str]:
    """Names of the breakdown regions (code length `length`) and districts inside `scope`."""
    names: dict[str, str] = {}
    if length == 2:
        rows = await session.execute(select(Province.code, Province.name))
        names.update({c: n for c, n in rows.all()})
    if length <= 4:
        rows = await session.execute(
            select(Regency.code, Regency.name).where(_prefix(Regency.code, scope))
        )
        names.update({c: n for c, n in rows.all()})
    rows = await session.execute(
        select(District.code, District.name).where(_prefix(District.code, scope))
    )
    names.update({c: n for c, n in rows.all()})
    return names


async def load_counts(
    session: AsyncSession, scope: str, *, length: int, rehearsal: int | None = None
) -> Counts:
    """The digest's counts inside `scope`: real ones, or with `rehearsal` that rehearsal's."""
    tps_rows = await session.execute(
        select(Village.district_code, func.sum(Village.tps_count))
        .where(_prefix(Village.district_code, scope))
        .group_by(Village.district_code)
    )
    tps_by_district = {d: int(n) for d, n in tps_rows.all()}
    if rehearsal is not None:
        return await _rehearsal_counts(session, scope, length, rehearsal, tps_by_district)
    # Core, not the ORM: a nation's counts are tens of thousands of plain rows, and the ORM's
    # row processing cost more than the query (the `national` bench).
    connection = await session.connection()
    main = await connection.execute(
        select(
            CheckinCount.district_code, CheckinCount.kind, CheckinCount.severity, CheckinCount.n
        ).where(_prefix(CheckinCount.district_code, scope), CheckinCount.n > 0)
    )
    by_district = {(d, k, s): n for d, k, s, n in main.all()}
    # Open incidents counted where they are: no payload leaves the database.
    resolved = func.coalesce(Checkin.payload["resolved"].as_boolean(), False)
    incidents = await connection.execute(
        select(Checkin.district_code, func.count())
        .where(
            CURRENT,
            Checkin.kind == Kind.KEJADIAN.value,
            Checkin.severity.in_(["ok", "warn", "severe", "critical"]),
            _prefix(Checkin.district_code, scope),
            resolved.is_(False),
        )
        .group_by(Checkin.district_code)
    )
    open_incidents = {district: n for district, n in incidents.all()}
    floods = await connection.execute(
        select(Checkin.tps_id, Village.name)
        .join(Tps, Tps.id == Checkin.tps_id)
        .join(Village, Village.code == Tps.village_code)
        .where(
            CURRENT,
            Checkin.kind == Kind.BANJIR.value,
            Checkin.severity.in_(sorted(SERIOUS)),
            _prefix(Checkin.district_code, scope),
        )
        .order_by(Checkin.tps_id)
    )
    # Through the (small) SMS table: the check-ins it filed that are still current.
    by_sms = await session.execute(
        select(func.count())
        .select_from(SmsInbound)
        .join(Checkin, Checkin.id == SmsInbound.checkin_id)
        .where(CURRENT, _prefix(Checkin.district_code, scope))
    )
    return Counts(
        tps_by_district=tps_by_district,
        by_district=by_district,
        open_incidents=open_incidents,
        severe_flood_tps=[(t, v) for t, v in floods.all()],
        names=await region_names(session, scope, length),
        by_sms=int(by_sms.scalar_one()),
    )


async def _rehearsal_counts(
    session: AsyncSession,
    scope: str,
    length: int,
    rehearsal: int,
    tps_by_district: dict[str, int],
) -> Counts:
    """The same figures from the rehearsal's newest versions (a rehearsal is small: no
    counter table, one pass over its rows)."""
    current = rehearsals.rehearsal_current(rehearsal).subquery()
    rows = await session.execute(
        select(
            current.c.district_code,
            current.c.kind,
            current.c.severity,
            current.c.tps_id,
            current.c.payload,
            Village.name,
        )
        .join(Tps, Tps.id == current.c.tps_id)
        .join(Village, Village.code == Tps.village_code)
        .where(_prefix(current.c.district_code, scope))
        .order_by(current.c.tps_id)
    )
    by_district: dict[tuple[str, str, str], int] = {}
    open_incidents: dict[str, int] = {}
    floods: list[tuple[str, str]] = []
    for district, kind, severity, tps_id, payload, village in rows.all():
        key = (district, kind, severity)
        by_district[key] = by_district.get(key, 0) + 1
        if kind == Kind.KEJADIAN.value and not (payload or {}).get("resolved", False):
            open_incidents[district] = open_incidents.get(district, 0) + 1
        if kind == Kind.BANJIR.value and severity in SERIOUS:
            floods.append((tps_id, village))
    return Counts(
        tps_by_district=tps_by_district,
        by_district=by_district,
        open_incidents=open_incidents,
        severe_flood_tps=floods,
        names=await region_names(session, scope, length),
    )


async def raw_aggregate(session: AsyncSession) -> list[tuple[str, str, int]]:
    """The bench's yardstick: one bare aggregate over the current check-ins."""
    rows = await session.execute(
        select(Checkin.kind, Checkin.regency_code, func.count())
        .where(CURRENT)
        .group_by(Checkin.kind, Checkin.regency_code)
    )
    return [(k, r, int(n)) for k, r, n in rows.all()]
