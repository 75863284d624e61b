"""Who has not filed: officers to remind, TPS missing per district, one TPS's history, exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.roles import Role
from storage.models import Checkin, District, Person, Regency, Tps, Village

# Written as the bare column so SQLite sees the partial indexes' `WHERE is_current` term.
CURRENT = text("checkin.is_current")


def _filed(kind: str) -> Any:
    return exists().where(Checkin.tps_id == Tps.id, Checkin.kind == kind, CURRENT)


@dataclass(frozen=True, slots=True)
class Recipient:
    telegram_id: int
    language: str
    scope: str


async def officers_to_remind(session: AsyncSession, kind: str, scope: str) -> list[Recipient]:
    """Reachable TPS officers inside `scope` whose TPS has no current check-in of `kind`."""
    filed = exists().where(Checkin.tps_id == Person.scope_code, Checkin.kind == kind, CURRENT)
    stmt = (
        select(Person.telegram_id, Person.language, Person.scope_code)
        .where(
            Person.role == Role.TPS.value,
            Person.reachable.is_(True),
            Person.scope_code.like(f"{scope}%"),
            ~filed,
        )
        .order_by(Person.id)
    )
    return [Recipient(t, lang, s) for t, lang, s in (await session.execute(stmt)).all()]


async def camats(session: AsyncSession, scope: str) -> list[Recipient]:
    stmt = (
        select(Person.telegram_id, Person.language, Person.scope_code)
        .where(
            Person.role == Role.CAMAT.value,
            Person.reachable.is_(True),
            Person.scope_code.like(f"{scope}%"),
        )
        .order_by(Person.id)
    )
    return [Recipient(t, lang, s) for t, lang, s in (await session.execute(stmt)).all()]


@dataclass(frozen=True, slots=True)
class MissingTps:
    tps_id: str
    number: int
    village_code: str
    village: str


async def missing_tps(
    session: AsyncSession, kind: str, scope: str, *, offset: int = 0, limit: int | None = None
) -> tuple[int, list[MissingTps]]:
    """TPS inside `scope` without a current check-in of `kind`: how many, and one page."""
    where = and_(Tps.id.like(f"{scope}%"), ~_filed(kind))
    total = (await session.execute(select(func.count()).select_from(Tps).where(where))).scalar_one()
    stmt = (
        select(Tps.id, Tps.number, Tps.village_code, Village.name)
        .join(Village, Village.code == Tps.village_code)
        .where(where)
        .order_by(Tps.id)
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [MissingTps(i, n, v, name) for i, n, v, name in (await session.execute(stmt)).all()]
    return int(total), rows


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    kind: str
    version: int
    is_current: bool
    severity: str
    payload: dict[str, Any]
    relayed: bool
    sent_at: datetime
    received_at: datetime


async def tps_history(session: AsyncSession, tps_id: str) -> list[HistoryEntry]:
    stmt = (
        select(Checkin)
        .where(Checkin.tps_id == tps_id)
        .order_by(Checkin.received_at, Checkin.kind, Checkin.version)
    )
    return [
        HistoryEntry(
            c.kind,
            c.version,
            c.is_current,
            c.severity,
            dict(c.payload or {}),
            c.relayed,
            c.sent_at,
            c.received_at,
        )
        for c in (await session.execute(stmt)).scalars()
    ]


async def export_rows(session: AsyncSession, scope: str) -> dict[str, list[dict[str, Any]]]:
    """Current check-ins inside `scope`, per kind, one row per TPS, for the spreadsheet."""
    stmt = (
        select(
            Checkin.kind,
            Checkin.tps_id,
            Village.name,
            District.name,
            Regency.name,
            Checkin.severity,
            Checkin.version,
            Checkin.relayed,
            Checkin.sent_at,
            Checkin.received_at,
            Checkin.payload,
        )
        .join(Tps, Tps.id == Checkin.tps_id)
        .join(Village, Village.code == Tps.village_code)
        .join(District, District.code == Tps.district_code)
        .join(Regency, Regency.code == Tps.regency_code)
        .where(CURRENT, Checkin.tps_id.like(f"{scope}%"))
        .order_by(Checkin.kind, Checkin.tps_id)
    )
    result: dict[str, list[dict[str, Any]]] = {}
    for kind, tps, village, district, regency, sev, version, relayed, sent, got, payload in (
        await session.execute(stmt)
    ).all():
        result.setdefault(kind, []).append(
            {
                "tps": tps,
                "desa": village,
                "kecamatan": district,
                "kabupaten": regency,
                "severity": sev,
                "version": version,
                "relay": relayed,
                "sent_at": sent,
                "received_at": got,
                **{f"data.{k}": v for k, v in sorted((payload or {}).items())},
            }
        )
    return result
