"""Counting for digests: one query per figure family, grouped by district.

Coverage, floods and blank spots come from `checkin_count` (current check-ins per district,
kind and severity, kept by triggers on `checkin`), summed in one pass into one row per
district with a FILTERed sum per kind and severity class (`tally_columns`): a nation is 7,277
rows instead of the ~60,000 counter rows or 3.5 million check-ins. The check-ins a digest names
(severe floods) are read through the partial index `ix_checkin_current_kind_severity`, the
incidents (whose `resolved` flag lives in the payload) through `ix_checkin_current_incident`,
which carries the payload on PostgreSQL so that count never reads the table; a flood's village
is the first ten digits of its TPS id, so no join through `tps`. The `is_current` filter is
written as the bare column, exactly as in the partial indexes' WHERE clause, so SQLite can prove
they apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkins.kinds import Kind, Severity
from domain.figures import SERIOUS, Counts, Tally
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
    Village,
)

KINDS: tuple[str, ...] = tuple(kind.value for kind in Kind)


def _prefix(column: Any, scope: str) -> ColumnElement[bool]:
    """`column` starts with `scope`, as a range the index can use (digits only)."""
    if not scope:
        return column.is_not(None)
    upper = scope[:-1] + chr(ord(scope[-1]) + 1)
    return and_(column >= scope, column < upper)


def tally_columns(kind: Any, severity: Any, weight: Any = None) -> list[Any]:
    """Three aggregate columns per kind of `KINDS`, in that order: the check-ins of the kind,
    those with a severity other than ok, those severe or critical. Each check-in counts
    `weight` (a count column such as `checkin_count.n`; default 1). Read back by `tallies`."""
    weight = literal_column("1") if weight is None else weight
    serious = sorted(SERIOUS)
    columns: list[Any] = []
    for value in KINDS:
        columns += [
            func.sum(weight).filter(kind == value),
            func.sum(weight).filter(kind == value, severity != Severity.OK.value),
            func.sum(weight).filter(kind == value, severity.in_(serious)),
        ]
    return columns


def tallies(rows: Iterable[Sequence[Any]]) -> dict[str, Tally]:
    """Rows of (code, *`tally_columns`) as code -> `Tally`; NULL and 0 sums are left out."""
    result: dict[str, Tally] = {}
    for code, *sums in rows:
        result[code] = Tally(
            {k: n for k, n in zip(KINDS, sums[0::3], strict=True) if n},
            {k: n for k, n in zip(KINDS, sums[1::3], strict=True) if n},
            {k: n for k, n in zip(KINDS, sums[2::3], strict=True) if n},
        )
    return result


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
    # Core, not the ORM: a nation's counts are thousands of plain rows, and the ORM's row
    # processing cost more than the query (the `national` bench).
    connection = await session.connection()
    main = await connection.execute(
        select(
            CheckinCount.district_code,
            *tally_columns(CheckinCount.kind, CheckinCount.severity, CheckinCount.n),
        )
        .where(_prefix(CheckinCount.district_code, scope), CheckinCount.n > 0)
        .group_by(CheckinCount.district_code)
    )
    by_district = tallies(main.all())
    # Open incidents counted where they are: no payload leaves the database.
    resolved = func.coalesce(Checkin.payload["resolved"].as_boolean(), False)
    incidents = await connection.execute(
        select(Checkin.district_code, func.count())
        .where(
            CURRENT,
            Checkin.kind == Kind.KEJADIAN.value,
            _prefix(Checkin.district_code, scope),
            resolved.is_(False),
        )
        .group_by(Checkin.district_code)
    )
    open_incidents = {district: n for district, n in incidents.all()}
    floods = await connection.execute(
        select(Checkin.tps_id, Village.name)
        .join(Village, Village.code == func.substr(Checkin.tps_id, 1, 10))
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
    counter table; the same tally as the real figures, then its incidents and floods)."""
    current = rehearsals.rehearsal_current(rehearsal).subquery()
    inside = _prefix(current.c.district_code, scope)
    counted = await session.execute(
        select(current.c.district_code, *tally_columns(current.c.kind, current.c.severity))
        .where(inside)
        .group_by(current.c.district_code)
    )
    rows = await session.execute(
        select(
            current.c.district_code,
            current.c.kind,
            current.c.severity,
            current.c.tps_id,
            current.c.payload,
            Village.name,
        )
        .join(Village, Village.code == func.substr(current.c.tps_id, 1, 10))
        .where(inside, current.c.kind.in_([Kind.KEJADIAN.value, Kind.BANJIR.value]))
        .order_by(current.c.tps_id)
    )
    open_incidents: dict[str, int] = {}
    floods: list[tuple[str, str]] = []
    for district, kind, severity, tps_id, payload, village in rows.all():
        if kind == Kind.KEJADIAN.value and not (payload or {}).get("resolved", False):
            open_incidents[district] = open_incidents.get(district, 0) + 1
        if kind == Kind.BANJIR.value and severity in SERIOUS:
            floods.append((tps_id, village))
    return Counts(
        tps_by_district=tps_by_district,
        by_district=tallies(counted.all()),
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
