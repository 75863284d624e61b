"""Reads only the desk page needs: below-district counts, lists of problems, the missing with
their people, and what is new since a mark (for live updates).

Region-level figures (nation → province → regency → district) come from `storage.digest.build`,
the digest's own. This module adds what the digest never shows: counts per village (a district
view), per TPS (a village view), and the lists behind the headline numbers. Every function
takes a scope and reads nothing outside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkins.kinds import Kind
from domain.figures import SERIOUS, Counts
from domain.roles import Role
from storage.coverage import CURRENT
from storage.figures import _prefix, tallies, tally_columns
from storage.models import Broadcast, BroadcastDelivery, Checkin, Person, Tps, Village


async def village_counts(session: AsyncSession, scope: str) -> Counts:
    """`Counts` keyed by village instead of district, for a district or a village (feed it to
    `build_figures(..., length=10)`)."""
    tps_rows = await session.execute(
        select(Village.code, Village.name, Village.tps_count).where(_prefix(Village.code, scope))
    )
    names: dict[str, str] = {}
    tps: dict[str, int] = {}
    for code, name, count in tps_rows.all():
        names[code], tps[code] = name, int(count)
    district = scope[:6]
    village_of = func.substr(Checkin.tps_id, 1, 10)  # a TPS id starts with its village's code
    rows = await session.execute(
        select(village_of, *tally_columns(Checkin.kind, Checkin.severity))
        .where(CURRENT, Checkin.district_code == district, Checkin.tps_id.like(f"{scope}%"))
        .group_by(village_of)
    )
    counted = tallies(rows.all())
    incidents: dict[str, int] = {}
    for problem in await problems(session, Kind.KEJADIAN, scope):
        village = problem.tps_id.split("-")[0]
        incidents[village] = incidents.get(village, 0) + 1
    floods = await severe_floods(session, scope)
    return Counts(
        tps_by_district=tps,
        by_district=counted,
        open_incidents=incidents,
        severe_flood_tps=[(f.tps_id, f.village) for f in floods],
        names=names,
    )


async def severe_floods(session: AsyncSession, scope: str) -> list[Problem]:
    """Floods of severity severe or critical inside `scope` (as the digest names them)."""
    return [p for p in await problems(session, Kind.BANJIR, scope) if p.severity in SERIOUS]


@dataclass(frozen=True, slots=True)
class TpsRow:
    """A TPS of a village and the desk severity of its current check-in per kind."""

    tps_id: str
    number: int
    kinds: dict[str, str]


async def tps_rows(session: AsyncSession, village: str) -> list[TpsRow]:
    """Every TPS of a village with the desk severity of its current check-in per kind."""
    found = await session.execute(
        select(Tps.id, Tps.number).where(Tps.village_code == village).order_by(Tps.number)
    )
    rows = {tps: TpsRow(tps, number, {}) for tps, number in found.all()}
    filed = await session.execute(
        select(Checkin.tps_id, Checkin.kind, Checkin.severity).where(
            CURRENT, Checkin.tps_id.like(f"{village}-%")
        )
    )
    for tps, kind, severity in filed.all():
        if tps in rows:
            rows[tps].kinds[kind] = severity
    return list(rows.values())


@dataclass(frozen=True, slots=True)
class Problem:
    """A current check-in the desk should see: a flood, a blank spot or an open incident."""

    checkin_id: int
    tps_id: str
    village: str
    kind: str
    severity: str
    payload: dict[str, Any]
    received_at: datetime

    @property
    def photos(self) -> int:
        return len(self.payload.get("photos") or [])


# Which current check-ins each list shows, by desk severity (see domain.checkins.kinds).
_SHOWN = {
    Kind.BANJIR: {"warn", "severe", "critical"},
    Kind.SINYAL: set(SERIOUS),
    Kind.KEJADIAN: {"ok", "warn", "severe", "critical"},
}
_WORST_FIRST = case({"critical": 0, "severe": 1, "warn": 2}, value=Checkin.severity, else_=3)


async def problems(
    session: AsyncSession, kind: Kind, scope: str, *, limit: int | None = None
) -> list[Problem]:
    """Floods (banjir not ok), blank spots (sinyal severe or worse) or open incidents (kejadian
    not resolved) inside `scope`, worst first, then newest (the first `limit`; incidents are
    filtered on `resolved` after the limit)."""
    # Pick the rows from the check-in index alone, then join names for those few only.
    chosen = (
        select(Checkin.id)
        .where(
            CURRENT,
            Checkin.kind == kind.value,
            # Every severity named, so the partial index (kind, severity, district) applies.
            Checkin.severity.in_(sorted(_SHOWN[kind])),
            _prefix(Checkin.district_code, scope[:6]),
        )
        .order_by(_WORST_FIRST, Checkin.received_at.desc(), Checkin.id.desc())
    )
    if len(scope) > 6:
        chosen = chosen.where(Checkin.tps_id.like(f"{scope}%"))
    if limit is not None:
        chosen = chosen.limit(limit)
    stmt = (
        select(
            Checkin.id,
            Checkin.tps_id,
            Village.name,
            Checkin.kind,
            Checkin.severity,
            Checkin.payload,
            Checkin.received_at,
        )
        .join(Tps, Tps.id == Checkin.tps_id)
        .join(Village, Village.code == Tps.village_code)
        .where(Checkin.id.in_(chosen.scalar_subquery()))
        .order_by(_WORST_FIRST, Checkin.received_at.desc(), Checkin.id.desc())
    )
    found = [
        Problem(i, tps, village, k, severity, dict(payload or {}), at)
        for i, tps, village, k, severity, payload, at in (await session.execute(stmt)).all()
    ]
    if kind is Kind.KEJADIAN:
        found = [p for p in found if not p.payload.get("resolved", False)]
    return found


@dataclass(frozen=True, slots=True)
class MissingWithPeople:
    """A TPS that has not filed, with its officer and camat and whether each is reachable."""

    tps_id: str
    village: str
    officer: str | None
    officer_reachable: bool
    camat: str | None
    camat_reachable: bool


async def missing_with_people(
    session: AsyncSession, kinds: Sequence[str], scope: str, *, limit: int
) -> dict[str, list[MissingWithPeople]]:
    """Per kind, the first `limit` TPS (by id) inside a district or village without a current
    check-in of that kind, each with its officer and camat and whether the bot can reach them
    (how many in all: the figures'). Two reads for all kinds, instead of a NOT EXISTS per TPS
    and kind as `storage.coverage.missing_tps` (which pages through one kind) does."""
    tps = (
        await session.execute(
            select(Tps.id, Village.name)
            .join(Village, Village.code == Tps.village_code)
            .where(Tps.district_code == scope[:6], Tps.id.like(f"{scope}%"))
            .order_by(Tps.id)
        )
    ).all()
    filed = await session.execute(
        select(Checkin.tps_id, Checkin.kind).where(
            CURRENT,
            Checkin.district_code == scope[:6],
            Checkin.kind.in_(list(kinds)),
            Checkin.tps_id.like(f"{scope}%"),
        )
    )
    done = {(t, k) for t, k in filed.all()}
    chosen = {kind: [(t, v) for t, v in tps if (t, kind) not in done][:limit] for kind in kinds}
    ids = sorted({t for rows in chosen.values() for t, _ in rows})
    people = await session.execute(
        select(Person.role, Person.scope_code, Person.name, Person.reachable).where(
            (Person.role == Role.TPS.value) & Person.scope_code.in_(ids)
            | (Person.role == Role.CAMAT.value) & (Person.scope_code == scope[:6])
        )
    )
    officers: dict[str, tuple[str, bool]] = {}
    camats: dict[str, tuple[str, bool]] = {}
    for role, code, name, reachable in people.all():
        target = officers if role == Role.TPS.value else camats
        target.setdefault(code, (name, reachable))
    camat = camats.get(scope[:6])
    return {
        kind: [
            MissingWithPeople(
                tps_id=t,
                village=v,
                officer=officers[t][0] if t in officers else None,
                officer_reachable=t in officers and officers[t][1],
                camat=camat[0] if camat else None,
                camat_reachable=bool(camat and camat[1]),
            )
            for t, v in rows
        ]
        for kind, rows in chosen.items()
    }


@dataclass(frozen=True, slots=True)
class Mark:
    """How far the stored activity has come: the newest check-in id and acknowledgement."""

    checkin_id: int
    acked_at: datetime | None


async def mark(session: AsyncSession) -> Mark:
    """Two index lookups, cheap enough to run every second."""
    newest = (await session.execute(select(func.max(Checkin.id)))).scalar_one()
    acked = (await session.execute(select(func.max(BroadcastDelivery.acked_at)))).scalar_one()
    return Mark(int(newest or 0), acked)


@dataclass(frozen=True, slots=True)
class Event:
    """Something new for the live page: a check-in or an acknowledgement."""

    kind: str  # a check-in kind, or "ack"
    code: str  # TPS id (check-ins) or the person's scope (acknowledgements)
    severity: str
    at: datetime
    checkin_id: int = 0
    broadcast_id: int = 0


async def checkins_after(session: AsyncSession, after: int, *, limit: int = 500) -> list[Event]:
    """Real check-ins stored after id `after`, oldest first (at most `limit`); a rehearsal's
    are practice and never reach the page."""
    rows = await session.execute(
        select(Checkin.id, Checkin.tps_id, Checkin.kind, Checkin.severity, Checkin.received_at)
        .where(Checkin.id > after, Checkin.rehearsal_id.is_(None))
        .order_by(Checkin.id)
        .limit(limit)
    )
    return [Event(k, t, s, at, checkin_id=i) for i, t, k, s, at in rows.all()]


async def acks_after(
    session: AsyncSession, after: datetime | None, *, limit: int = 500
) -> list[Event]:
    """Acknowledgements of real broadcasts after `after`, oldest first (at most `limit`)."""
    stmt = (
        select(
            BroadcastDelivery.broadcast_id,
            BroadcastDelivery.scope_code,
            BroadcastDelivery.acked_at,
        )
        .join(Broadcast, Broadcast.id == BroadcastDelivery.broadcast_id)
        .where(BroadcastDelivery.acked_at.is_not(None), Broadcast.rehearsal_id.is_(None))
    )
    if after is not None:
        stmt = stmt.where(BroadcastDelivery.acked_at > after)
    rows = await session.execute(stmt.order_by(BroadcastDelivery.acked_at).limit(limit))
    return [Event("ack", scope, "ok", at, broadcast_id=b) for b, scope, at in rows.all() if at]


async def checkin_ids(session: AsyncSession, tps_id: str) -> dict[tuple[str, int], int]:
    """(kind, version) -> check-in id for one TPS's real check-ins (to link a history entry's
    photos)."""
    rows = await session.execute(
        select(Checkin.kind, Checkin.version, Checkin.id).where(
            Checkin.tps_id == tps_id, Checkin.rehearsal_id.is_(None)
        )
    )
    return {(k, v): i for k, v, i in rows.all()}


async def checkin_place(session: AsyncSession, checkin_id: int) -> tuple[str, int] | None:
    """(TPS id, photos) of a check-in, to check scope before serving its photo."""
    row = (
        await session.execute(
            select(Checkin.tps_id, Checkin.payload).where(Checkin.id == checkin_id)
        )
    ).first()
    return None if row is None else (row[0], len((row[1] or {}).get("photos") or []))
