"""Who has not filed: officers to remind, TPS missing per district, one TPS's history, exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.roles import Role
from storage.models import Checkin, Person, Tps, Village

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
            Person.revoked_at.is_(None),
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
            Person.revoked_at.is_(None),
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
    where = and_(Tps.id.like(f"{scope}%"), Tps.retired_at.is_(None), ~_filed(kind))
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
