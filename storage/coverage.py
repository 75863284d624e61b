"""Who has not filed: officers to remind, TPS missing per district, one TPS's history, exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.roles import Role
from storage.models import Checkin, Person, Tps, Village

# Written as the bare column so SQLite sees the partial indexes' `WHERE is_current` term.
# A rehearsal's check-ins are never current, so this is also "real only".
CURRENT = text("checkin.is_current")


def filed_in(rehearsal: int | None) -> Any:
    """What counts as filed: the current real version, or any of the rehearsal's."""
    return CURRENT if rehearsal is None else Checkin.rehearsal_id == rehearsal


def _filed(kind: str, rehearsal: int | None) -> Any:
    return exists().where(Checkin.tps_id == Tps.id, Checkin.kind == kind, filed_in(rehearsal))


@dataclass(frozen=True, slots=True)
class Recipient:
    telegram_id: int
    language: str
    scope: str


async def officers_to_remind(
    session: AsyncSession, kind: str, scope: str, *, rehearsal: int | None = None
) -> list[Recipient]:
    """Reachable TPS officers inside `scope` whose TPS has no current check-in of `kind`
    (with `rehearsal`: none filed in that rehearsal)."""
    filed = exists().where(
        Checkin.tps_id == Person.scope_code, Checkin.kind == kind, filed_in(rehearsal)
    )
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
    session: AsyncSession,
    kind: str,
    scope: str,
    *,
    offset: int = 0,
    limit: int | None = None,
    rehearsal: int | None = None,
) -> tuple[int, list[MissingTps]]:
    """TPS inside `scope` without a current check-in of `kind` (with `rehearsal`: without
    one filed in that rehearsal): how many, and one page."""
    where = and_(Tps.id.like(f"{scope}%"), Tps.retired_at.is_(None), ~_filed(kind, rehearsal))
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
