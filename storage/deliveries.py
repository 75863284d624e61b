"""The delivery queue: claims before sending, outcomes after, and the tally per broadcast.

Exactly-once: a delivery is claimed (`pending` -> `sending`) in a committed transaction before
Telegram is called, and its outcome (`sent`, `blocked`, ...) is recorded after. A crash in
between leaves a `sending` row; `recover` turns it into `uncertain`, and it is never sent again
automatically: nobody gets a broadcast twice, at the price that, in that rare window, someone
may get it not at all (the desk sees them as not having acknowledged and can resend).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.broadcast import BroadcastStatus, BroadcastView, DeliveryStatus, Due, Tally
from storage.broadcasts import ACTIVE, view_of
from storage.models import Broadcast, BroadcastDelivery
from storage.outbox import Bots, of_bots


async def recover(session: AsyncSession, *, bots: Bots = None) -> int:
    """After a crash: claimed-but-unrecorded deliveries (of `bots`, see `storage.outbox.Bots`)
    may have arrived; never resend them."""
    result = await session.execute(
        update(BroadcastDelivery)
        .where(
            of_bots(bots, BroadcastDelivery.bot_id),
            BroadcastDelivery.status == DeliveryStatus.SENDING.value,
        )
        .values(status=DeliveryStatus.UNCERTAIN.value, error="interrupted while sending")
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def active(session: AsyncSession) -> list[BroadcastView]:
    stmt = select(Broadcast).where(Broadcast.status.in_(ACTIVE)).order_by(Broadcast.id)
    return [view_of(b) for b in (await session.execute(stmt)).scalars()]


async def due(session: AsyncSession, *, now: datetime, limit: int, bots: Bots = None) -> list[Due]:
    """Pending deliveries (through `bots`, see `storage.outbox.Bots`) of running broadcasts,
    oldest broadcast first."""
    stmt = (
        select(
            BroadcastDelivery.id,
            BroadcastDelivery.broadcast_id,
            BroadcastDelivery.telegram_id,
            BroadcastDelivery.attempts,
        )
        .join(Broadcast, Broadcast.id == BroadcastDelivery.broadcast_id)
        .where(
            of_bots(bots, BroadcastDelivery.bot_id),
            BroadcastDelivery.status == DeliveryStatus.PENDING.value,
            Broadcast.status.in_(ACTIVE),
            or_(
                BroadcastDelivery.next_attempt_at.is_(None),
                BroadcastDelivery.next_attempt_at <= now,
            ),
        )
        .order_by(BroadcastDelivery.broadcast_id, BroadcastDelivery.id)
        .limit(limit)
    )
    return [Due(*row) for row in (await session.execute(stmt)).all()]


async def claim(session: AsyncSession, ids: Sequence[int], *, now: datetime) -> set[int]:
    """Take pending deliveries for sending; return the ids this call won."""
    if not ids:
        return set()
    stmt = (
        update(BroadcastDelivery)
        .where(
            BroadcastDelivery.id.in_(list(ids)),
            BroadcastDelivery.status == DeliveryStatus.PENDING.value,
        )
        .values(
            status=DeliveryStatus.SENDING.value,
            claimed_at=now,
            attempts=BroadcastDelivery.attempts + 1,
        )
        .returning(BroadcastDelivery.id)
    )
    return {row[0] for row in (await session.execute(stmt)).all()}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed delivery."""

    id: int
    status: DeliveryStatus  # PENDING = give it back (429, stopping, or a retry)
    message_id: int | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    undo_attempt: bool = False  # given back without having been tried (429, shutdown)
    paid: bool = False  # sent with allow_paid_broadcast (0.1 Star drawn for it)


async def record(session: AsyncSession, outcomes: Sequence[Outcome], *, now: datetime) -> None:
    for o in outcomes:
        values: dict[str, Any] = {"status": o.status.value, "error": o.error}
        if o.status is DeliveryStatus.SENT:
            values.update(message_id=o.message_id, sent_at=now, paid=o.paid)
        if o.status is DeliveryStatus.PENDING:
            values["next_attempt_at"] = o.next_attempt_at
        if o.undo_attempt:
            values["attempts"] = BroadcastDelivery.attempts - 1
        await session.execute(
            update(BroadcastDelivery)
            .where(
                BroadcastDelivery.id == o.id,
                BroadcastDelivery.status == DeliveryStatus.SENDING.value,
            )
            .values(**values)
        )


async def set_status(
    session: AsyncSession, broadcast_id: int, status: BroadcastStatus, *, now: datetime
) -> bool:
    """Move a running broadcast on; True if this call moved it (two workers may finish one
    broadcast at the same moment: one of them does)."""
    values: dict[str, Any] = {"status": status.value}
    if status is BroadcastStatus.DONE:
        tally = await tally_of(session, broadcast_id)
        values.update(
            finished_at=now,
            sent=tally.sent,
            failed=tally.failed,
            blocked=tally.blocked,
            uncertain=tally.uncertain,
        )
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status != status.value)
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


async def tally_of(session: AsyncSession, broadcast_id: int) -> Tally:
    paid = func.coalesce(func.sum(case((BroadcastDelivery.paid.is_(True), 1), else_=0)), 0)
    stmt = (
        select(
            BroadcastDelivery.status,
            func.count(),
            func.count(BroadcastDelivery.acked_at),
            paid,
        )
        .where(BroadcastDelivery.broadcast_id == broadcast_id)
        .group_by(BroadcastDelivery.status)
    )
    rows = (await session.execute(stmt)).all()
    return Tally.of(
        {s: n for s, n, _, _ in rows},
        acked=sum(a for _, _, a, _ in rows),
        paid=sum(int(p) for _, _, _, p in rows),
    )
