"""The outbox: Bot API calls the bot owes, queued in the caller's transaction.

Exactly once: a row is claimed (`pending` -> `sending`) in a committed transaction before the
call, and its outcome recorded after. A crash in between leaves `sending`; `recover` turns it
into `uncertain`, which is never sent again: nobody gets a message twice, at the price that in
that instant's window a message may be lost (the figure is counted and shown).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.outbox import USEFUL_FOR, Outgoing, OutStatus
from storage.models import OutboxMessage


@dataclass(slots=True)
class Queued:
    """An outbox row as the sender holds it in memory."""

    id: int
    chat_id: int
    method: str
    params: dict[str, Any]
    priority: int
    proactive: bool
    attempts: int
    useful_until: datetime
    file: tuple[str, str, bytes] | None = None
    claimed: bool = False  # queued already claimed (`sending`): it leaves without a claim
    bot_id: int | None = None  # the bot it leaves through (None: the desk's first)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed row. PENDING gives it back (to retry at `not_before`)."""

    id: int
    status: OutStatus
    message_id: int | None = None
    error: str | None = None
    not_before: datetime | None = None
    undo_attempt: bool = False  # given back without Telegram having acted (429, stopping)
    chat_id: int | None = None  # moved to this chat (a group upgraded to a supergroup)
    drop_thread: bool = False  # its forum topic is closed or gone: sent to General from now


# Which bots' rows a sender takes (`Sender.serves`): None for all (a one-bot desk); else bot
# ids, None among them for rows recorded with no bot (the desk's first bot takes those).
Bots = Sequence[int | None] | None


def of_bots(bots: Bots, column: Any = None) -> ColumnElement[bool]:
    """The WHERE clause for rows that leave through one of `bots` (see `Bots`); `column`:
    the table's bot id column (default the outbox's)."""
    if bots is None:
        return true()
    column = OutboxMessage.bot_id if column is None else column
    ids = [b for b in bots if b is not None]
    clause: ColumnElement[bool] = column.in_(ids)
    if None in bots:
        clause = or_(clause, column.is_(None))
    return clause


_TABLE = cast(Table, OutboxMessage.__table__)
# Built once per dialect (a call is queued for nearly every update): a keyed call queued
# before is skipped; unkeyed calls (NULL keys) never conflict.
_ENQUEUE = {
    name: dialect.insert(_TABLE)
    .on_conflict_do_nothing(index_elements=["key"])
    .returning(_TABLE.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


async def enqueue(
    session: AsyncSession,
    items: Sequence[Outgoing],
    *,
    now: datetime,
    claim: Callable[[Outgoing], bool] | None = None,
) -> list[Queued]:
    """Queue calls; a keyed call queued before is skipped. Returns the rows queued now.

    A new edit of a message supersedes edits of it still pending (only the last one matters).
    `claim(item)` True queues the row claimed (`sending`, one attempt): the sender will make
    the call straight after the commit without a claim transaction of its own. Same rule as
    `claim`: committed as `sending` before the call, so a crash makes it `uncertain`.
    """
    queued: list[Queued] = []
    for item in items:
        claimed = claim is not None and claim(item)
        useful_until = now + (item.useful_for or USEFUL_FOR[item.priority])
        values: dict[str, Any] = {
            "key": item.key,
            "chat_id": item.chat_id,
            "method": item.method,
            "params": item.params,
            "priority": int(item.priority),
            "proactive": item.proactive,
            "status": (OutStatus.SENDING if claimed else OutStatus.PENDING).value,
            "attempts": 1 if claimed else 0,
            "claimed_at": now if claimed else None,
            "created_at": now,
            "useful_until": useful_until,
            "slot_id": item.slot_id,
            "bot_id": item.bot_id,
        }
        file = item.file or (None, None, None)
        values.update(file_field=file[0], file_name=file[1], file_data=file[2])
        stmt = _ENQUEUE[session.get_bind().dialect.name]
        found = (await session.execute(stmt, values)).scalar_one_or_none()
        if found is None:
            continue  # keyed, queued before: it must not supersede its first copy either
        if item.is_edit and "message_id" in item.params:
            await supersede_edits(
                session, item.chat_id, int(item.params["message_id"]), before=found
            )
        queued.append(
            Queued(
                id=found,
                chat_id=item.chat_id,
                method=item.method,
                params=item.params,
                priority=int(item.priority),
                proactive=item.proactive,
                attempts=0,
                useful_until=useful_until,
                file=item.file,
                claimed=claimed,
                bot_id=item.bot_id,
            )
        )
    return queued


async def supersede_edits(
    session: AsyncSession, chat_id: int, message_id: int, *, before: int
) -> None:
    """Pending edits of one message are moot once a newer edit of it (row `before`) is
    queued: those queued before it are superseded (a keyed edit queued again is not queued, so
    it supersedes nothing: two instances finishing one broadcast keep its summary)."""
    await session.execute(_SUPERSEDE, {"below": before, "chat": chat_id, "message": message_id})


# Every guided step queues an edit: a prebuilt Core statement (compiled once, no ORM
# evaluation of the rows it changes).
_SUPERSEDE = (
    update(_TABLE)
    .where(
        _TABLE.c.id < bindparam("below"),
        _TABLE.c.chat_id == bindparam("chat"),
        _TABLE.c.status == OutStatus.PENDING.value,
        _TABLE.c.method.in_(("editMessageText", "editMessageReplyMarkup")),
        _TABLE.c.params["message_id"].as_integer() == bindparam("message"),
    )
    .values(status=OutStatus.SUPERSEDED.value)
)


async def due(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    exclude: Sequence[int] = (),
    bots: Bots = None,
) -> list[Queued]:
    """Pending rows of `bots` that may be tried now, most urgent first."""
    stmt = (
        select(OutboxMessage)
        .where(
            of_bots(bots),
            OutboxMessage.status == OutStatus.PENDING.value,
            or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
        )
        .order_by(OutboxMessage.priority, OutboxMessage.id)
        .limit(limit + len(exclude))
    )
    skip = set(exclude)
    rows = []
    for row in (await session.execute(stmt)).scalars():
        if row.id in skip:
            continue
        file = None
        if row.file_data is not None and row.file_field and row.file_name:
            file = (row.file_field, row.file_name, bytes(row.file_data))
        rows.append(
            Queued(
                id=row.id,
                chat_id=row.chat_id,
                method=row.method,
                params=dict(row.params),
                priority=row.priority,
                proactive=row.proactive,
                attempts=row.attempts,
                useful_until=row.useful_until,
                file=file,
                bot_id=row.bot_id,
            )
        )
    return rows[:limit]


async def due_count(session: AsyncSession, *, now: datetime, bots: Bots = None) -> int:
    """How many pending rows of `bots` may be tried now."""
    stmt = select(func.count()).where(
        of_bots(bots),
        OutboxMessage.status == OutStatus.PENDING.value,
        or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
    )
    return int((await session.execute(stmt)).scalar_one())


async def claim(session: AsyncSession, ids: Sequence[int], *, now: datetime) -> set[int]:
    """Take pending rows for sending; return the ids this call won."""
    if not ids:
        return set()
    stmt = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(ids)),
            OutboxMessage.status == OutStatus.PENDING.value,
        )
        .values(
            status=OutStatus.SENDING.value,
            claimed_at=now,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage.id)
    )
    return {row[0] for row in (await session.execute(stmt)).all()}


async def record(session: AsyncSession, outcomes: Sequence[Outcome], *, now: datetime) -> None:
    """Write outcomes of claimed rows (rows no longer `sending` are left alone)."""
    # Nearly all are plain "sent": those in one prebuilt statement executed for many rows.
    plain = [o for o in outcomes if _is_plain_sent(o)]
    if plain:
        await session.execute(
            _SENT,
            [{"row": o.id, "message": o.message_id, "finished": now} for o in plain],
        )
    for o in outcomes:
        if _is_plain_sent(o):
            continue
        values: dict[str, Any] = {"status": o.status.value, "error": (o.error or "")[:200] or None}
        if o.status is OutStatus.PENDING:
            values["not_before"] = o.not_before
        else:
            values["finished_at"] = now
        if o.message_id is not None:
            values["message_id"] = o.message_id
        if o.undo_attempt:
            values["attempts"] = OutboxMessage.attempts - 1
        if o.chat_id is not None:
            values["chat_id"] = o.chat_id
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == o.id,
                OutboxMessage.status == OutStatus.SENDING.value,
            )
            .values(**values)
        )
    changed = [o for o in outcomes if o.chat_id is not None or o.drop_thread]
    for o in changed:
        row = await session.get(OutboxMessage, o.id)
        if row is None:
            continue
        params = {**row.params}
        if o.chat_id is not None:
            params["chat_id"] = o.chat_id
        if o.drop_thread:
            params.pop("message_thread_id", None)
        row.params = params


def _is_plain_sent(o: Outcome) -> bool:
    return (
        o.status is OutStatus.SENT
        and not o.error
        and not o.undo_attempt
        and o.chat_id is None
        and not o.drop_thread
    )


_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row"), _TABLE.c.status == OutStatus.SENDING.value)
    .values(
        status=OutStatus.SENT.value,
        error=None,
        finished_at=bindparam("finished", type_=_TABLE.c.finished_at.type),
        message_id=func.coalesce(
            bindparam("message", type_=_TABLE.c.message_id.type), _TABLE.c.message_id
        ),
    )
)


async def recover(session: AsyncSession, *, now: datetime, bots: Bots = None) -> int:
    """After a crash: rows of `bots` claimed but never recorded may have arrived; never resend
    them. (Only the starting sender's bots: another process may be sending the others.)"""
    result = await session.execute(
        update(OutboxMessage)
        .where(of_bots(bots), OutboxMessage.status == OutStatus.SENDING.value)
        .values(
            status=OutStatus.UNCERTAIN.value, error="interrupted while sending", finished_at=now
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def expire(session: AsyncSession, *, now: datetime, bots: Bots = None) -> int:
    """Pending rows of `bots` past their usefulness are not sent any more."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            of_bots(bots),
            OutboxMessage.status == OutStatus.PENDING.value,
            OutboxMessage.useful_until < now,
        )
        .values(status=OutStatus.EXPIRED.value, finished_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def counts(session: AsyncSession, *, slot_id: int | None = None) -> dict[str, int]:
    """Rows per status (of one slot, or all)."""
    stmt = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if slot_id is not None:
        stmt = stmt.where(OutboxMessage.slot_id == slot_id)
    return {status: int(n) for status, n in (await session.execute(stmt)).all()}


async def slot_deliveries(session: AsyncSession, slot_id: int) -> list[tuple[int, str, str]]:
    """(chat id, key, status) of each call a slot queued, in order."""
    stmt = (
        select(OutboxMessage.chat_id, OutboxMessage.key, OutboxMessage.status)
        .where(OutboxMessage.slot_id == slot_id)
        .order_by(OutboxMessage.id)
    )
    return [(c, k or "", s) for c, k, s in (await session.execute(stmt)).all()]


async def open_count(session: AsyncSession) -> int:
    """Rows pending or being sent."""
    stmt = select(func.count()).where(
        OutboxMessage.status.in_((OutStatus.PENDING.value, OutStatus.SENDING.value))
    )
    return int((await session.execute(stmt)).scalar_one())


async def move_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> int:
    """Calls still owed to a chat that got a new id go to the new id."""
    stmt = select(OutboxMessage).where(
        OutboxMessage.chat_id == old_chat_id, OutboxMessage.status == OutStatus.PENDING.value
    )
    moved = 0
    for row in (await session.execute(stmt)).scalars():
        row.chat_id = new_chat_id
        row.params = {**row.params, "chat_id": new_chat_id}
        moved += 1
    await session.flush()
    return moved
