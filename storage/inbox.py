"""The inbox: updates committed before Telegram is told they arrived, handled from here.

Telegram's `update_id` (per bot) is the key: an update delivered twice (a redelivered webhook,
an offset not yet confirmed when the process died) is stored once and handled once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import sqlite_statement
from storage.models import InboxUpdate

PENDING, DONE, FAILED = "pending", "done", "failed"


@dataclass(frozen=True, slots=True)
class SetAside:
    """An update that kept failing: shown to admins, never blocking the others."""

    update_id: int
    received_at: datetime
    attempts: int
    error: str


_TABLE = cast(Table, InboxUpdate.__table__)
# Built once per dialect: every `getUpdates` answer and every webhook call stores through it
# (a statement built per call, with its rows as literal VALUES, cost twice the time).
_STORE = {
    name: dialect.insert(_TABLE)
    .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
    .returning(_TABLE.c.update_id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


async def store(
    session: AsyncSession, bot_id: int, updates: Sequence[dict[str, Any]], *, now: datetime
) -> set[int]:
    """Store raw updates (each with an int `update_id`); return the ids that are new."""
    if not updates:
        return set()
    rows = [
        {
            "bot_id": bot_id,
            "update_id": raw["update_id"],
            "payload": raw,
            "status": PENDING,
            "attempts": 0,
            "received_at": now,
        }
        for raw in updates
    ]
    stmt = _STORE[session.get_bind().dialect.name]
    return {row[0] for row in (await session.execute(stmt, rows)).all()}


def _stored_form(dialect: Any) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """The payload's and the time's bind processors (JSON text, UTC text on SQLite)."""

    def processor(column: Any) -> Callable[[Any], Any]:
        process = column.type.bind_processor(dialect)
        return process if process is not None else (lambda value: value)

    return processor(_TABLE.c.payload), processor(_TABLE.c.received_at)


_SQLITE_FORM = _stored_form(sqlite.dialect())


async def take(
    sessions: async_sessionmaker[AsyncSession],
    bot_id: int,
    updates: Sequence[dict[str, Any]],
    *,
    now: datetime,
) -> set[int]:
    """`store` in a transaction of its own; return the ids that are new.

    On a SQLite file this is one statement in one call to the database thread
    (`storage.db.sqlite_statement`): every update passes here before it is handled, and the
    usual way costs about ten calls. PostgreSQL goes the usual way.
    """
    if not updates:
        return set()
    engine = sessions.kw["bind"]
    if engine.dialect.name != "sqlite":
        async with sessions() as session, session.begin():
            return await store(session, bot_id, updates, now=now)
    payload, when = _SQLITE_FORM
    params: list[Any] = []
    for raw in updates:
        params += [bot_id, raw["update_id"], payload(raw), PENDING, 0, when(now)]
    values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(updates))
    sql = (
        "INSERT INTO inbox_update (bot_id, update_id, payload, status, attempts, received_at) "
        f"VALUES {values} ON CONFLICT (bot_id, update_id) DO NOTHING RETURNING update_id"
    )
    return {row[0] for row in await sqlite_statement(engine, sql, params)}


async def pending(
    session: AsyncSession, bot_id: int, *, limit: int = 10_000
) -> list[dict[str, Any]]:
    """Updates taken but not handled (a crash, a stop in the middle), oldest first."""
    stmt = (
        select(InboxUpdate.payload)
        .where(InboxUpdate.bot_id == bot_id, InboxUpdate.status == PENDING)
        .order_by(InboxUpdate.update_id)
        .limit(limit)
    )
    return [dict(p) for p in (await session.execute(stmt)).scalars()]


async def mark_done(
    session: AsyncSession, bot_id: int, update_ids: Sequence[int], *, now: datetime
) -> None:
    if not update_ids:
        return
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.bot_id == bot_id, InboxUpdate.update_id.in_(list(update_ids)))
        .values(status=DONE, handled_at=now)
    )


async def mark_failed(
    session: AsyncSession,
    bot_id: int,
    update_id: int,
    *,
    attempts: int,
    error: str,
    set_aside: bool,
    now: datetime,
) -> None:
    """Count a failed attempt; after the last one the update is set aside (`failed`)."""
    values: dict[str, Any] = {"attempts": attempts, "error": error[:2000]}
    if set_aside:
        values.update(status=FAILED, handled_at=now)
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.bot_id == bot_id, InboxUpdate.update_id == update_id)
        .values(**values)
    )


async def set_aside(session: AsyncSession, *, limit: int = 50) -> tuple[int, list[SetAside]]:
    """How many updates were set aside, and the newest of them."""
    count = (
        await session.execute(select(func.count()).where(InboxUpdate.status == FAILED))
    ).scalar_one()
    stmt = (
        select(InboxUpdate)
        .where(InboxUpdate.status == FAILED)
        .order_by(InboxUpdate.id.desc())
        .limit(limit)
    )
    found = [
        SetAside(u.update_id, u.received_at, u.attempts, u.error or "")
        for u in (await session.execute(stmt)).scalars()
    ]
    return int(count), found


async def prune(
    session: AsyncSession,
    bot_id: int,
    *,
    handled_before: datetime,
    set_aside_before: datetime,
    limit: int = 5_000,
) -> int:
    """Delete at most `limit` of the bot's updates handled before `handled_before` or set
    aside before `set_aside_before`; return how many. Pending updates are never deleted."""
    doomed = (
        select(InboxUpdate.id)
        .where(
            InboxUpdate.bot_id == bot_id,
            or_(
                and_(InboxUpdate.status == DONE, InboxUpdate.handled_at < handled_before),
                and_(InboxUpdate.status == FAILED, InboxUpdate.handled_at < set_aside_before),
            ),
        )
        .limit(limit)
    )
    result = await session.execute(delete(InboxUpdate).where(InboxUpdate.id.in_(doomed)))
    return int(getattr(result, "rowcount", 0) or 0)
