"""Broadcasts: drafts, the audience and its queueing, acknowledgements.

The delivery queue itself (claims, outcomes) is `storage.deliveries`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.broadcast import (
    Audience,
    AudienceKind,
    BroadcastStatus,
    BroadcastView,
    DeliveryStatus,
    DraftStep,
    RegionAcks,
    region_filter,
)
from domain.people import Member
from storage import rehearsals
from storage.models import Broadcast, BroadcastDelivery, Checkin, Person

ACTIVE = (BroadcastStatus.QUEUED.value, BroadcastStatus.SENDING.value)
_REACHED = (DeliveryStatus.SENT.value, DeliveryStatus.UNCERTAIN.value)


def view_of(b: Broadcast) -> BroadcastView:
    return BroadcastView(
        id=b.id,
        sender_id=b.sender_id,
        sender_chat=b.sender_chat,
        scope=b.scope_code,
        audience=Audience.from_json(b.audience) if b.audience else None,
        text=b.text,
        media_type=b.media_type,
        media_file_id=b.media_file_id,
        status=BroadcastStatus(b.status),
        step=DraftStep(b.step) if b.step else None,
        step_at=b.step_at,
        resend_of=b.resend_of,
        status_message_id=b.status_message_id,
        total=b.total,
        created_at=b.created_at,
        paid=bool(b.paid),
        stars_out_at=b.stars_out_at,
    )


async def get(session: AsyncSession, broadcast_id: int) -> BroadcastView | None:
    found = await session.get(Broadcast, broadcast_id)
    return view_of(found) if found else None


# Drafts ----------------------------------------------------------------------------------------


async def start_draft(session: AsyncSession, sender: Member, *, now: datetime) -> BroadcastView:
    """A new draft waiting for its text; the sender's older drafts are dropped."""
    await session.execute(
        update(Broadcast)
        .where(Broadcast.sender_id == sender.id, Broadcast.status == BroadcastStatus.DRAFT.value)
        .values(status=BroadcastStatus.CANCELLED.value, step=None)
    )
    draft = Broadcast(
        sender_id=sender.id,
        sender_chat=sender.telegram_id,
        scope_code=sender.scope,
        status=BroadcastStatus.DRAFT.value,
        step=DraftStep.TEXT.value,
        step_at=now,
        created_at=now,
        # Composed during a rehearsal: practice, deleted with the rehearsal's data.
        rehearsal_id=await rehearsals.running_id(session),
    )
    session.add(draft)
    await session.flush()
    return view_of(draft)


async def open_draft(session: AsyncSession, sender_chat: int) -> BroadcastView | None:
    """The newest draft of whoever writes from this chat."""
    stmt = (
        select(Broadcast)
        .where(Broadcast.sender_chat == sender_chat, Broadcast.status == BroadcastStatus.DRAFT)
        .order_by(Broadcast.id.desc())
        .limit(1)
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    return view_of(found) if found else None


async def update_draft(
    session: AsyncSession, broadcast_id: int, *, now: datetime, **values: Any
) -> bool:
    """Change a draft (text, media, audience, step); False when it is no longer a draft."""
    if "audience" in values and isinstance(values["audience"], Audience):
        values["audience"] = values["audience"].to_json()
    if "step" in values and values["step"] is not None:
        values["step"] = DraftStep(values["step"]).value
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.DRAFT.value)
        .values(step_at=now, **values)
    )
    return bool(getattr(result, "rowcount", 0))


async def cancel_draft(session: AsyncSession, broadcast_id: int, sender_id: int) -> bool:
    result = await session.execute(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.sender_id == sender_id,
            Broadcast.status == BroadcastStatus.DRAFT.value,
        )
        .values(status=BroadcastStatus.CANCELLED.value, step=None)
    )
    return bool(getattr(result, "rowcount", 0))


async def create_resend(
    session: AsyncSession, original: BroadcastView, sender: Member, *, now: datetime
) -> BroadcastView:
    """A draft with the same content for those who have not acknowledged `original`."""
    draft = await start_draft(session, sender, now=now)
    await update_draft(
        session,
        draft.id,
        now=now,
        text=original.text,
        media_type=original.media_type,
        media_file_id=original.media_file_id,
        audience=Audience(AudienceKind.RESEND, str(original.id)),
        resend_of=original.id,
        step=DraftStep.PREVIEW,
    )
    found = await get(session, draft.id)
    assert found is not None
    return found


# Audience --------------------------------------------------------------------------------------


def _recipients(scope: str, audience: Audience, exclude: int | None) -> Select | None:
    prefix = region_filter(scope, audience)
    if prefix is None:
        return None
    stmt: Select = select(Person.id, Person.telegram_id, Person.scope_code).where(
        Person.scope_code.like(f"{prefix}%"), Person.revoked_at.is_(None)
    )
    if audience.kind is AudienceKind.ROLE:
        stmt = stmt.where(Person.role == audience.value)
    elif audience.kind is AudienceKind.NOT_FILED:
        filed = exists().where(
            Checkin.tps_id == Person.scope_code,
            Checkin.kind == audience.value,
            Checkin.is_current.is_(True),
        )
        stmt = stmt.where(Person.role == "tps", ~filed)
    elif audience.kind is AudienceKind.RESEND:
        not_acked = select(BroadcastDelivery.person_id).where(
            BroadcastDelivery.broadcast_id == int(audience.value),
            BroadcastDelivery.acked_at.is_(None),
        )
        stmt = stmt.where(Person.id.in_(not_acked))
    if exclude is not None:
        stmt = stmt.where(Person.id != exclude)
    return stmt


async def count_audience(
    session: AsyncSession, scope: str, audience: Audience, *, exclude: int | None = None
) -> int:
    stmt = _recipients(scope, audience, exclude)
    if stmt is None:
        return 0
    return int((await session.execute(select(func.count()).select_from(stmt.subquery()))).one()[0])


async def confirm(
    session: AsyncSession,
    broadcast_id: int,
    *,
    sender_id: int,
    status_message_id: int | None,
    now: datetime,
    paid: bool = False,
) -> int | None:
    """Queue a previewed draft: one pending delivery per recipient. None if not confirmable.
    `paid`: send it with `allow_paid_broadcast` at the paid pace (0.1 Star a message)."""
    draft = await session.get(Broadcast, broadcast_id)
    if (
        draft is None
        or draft.sender_id != sender_id
        or draft.status != BroadcastStatus.DRAFT
        or draft.step != DraftStep.PREVIEW
        or draft.audience is None
    ):
        return None
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.DRAFT.value)
        .values(
            status=BroadcastStatus.QUEUED.value,
            step=None,
            confirmed_at=now,
            status_message_id=status_message_id,
            paid=paid,
        )
    )
    if not getattr(result, "rowcount", 0):
        return None
    recipients = _recipients(draft.scope_code, Audience.from_json(draft.audience), sender_id)
    if recipients is not None:
        rows = recipients.with_only_columns(
            literal(broadcast_id),
            Person.id,
            Person.telegram_id,
            Person.scope_code,
            literal(DeliveryStatus.PENDING.value),
            literal(0),
            Person.bot_id,
        )
        await session.execute(
            insert(BroadcastDelivery).from_select(
                [
                    "broadcast_id",
                    "person_id",
                    "telegram_id",
                    "scope_code",
                    "status",
                    "attempts",
                    "bot_id",
                ],
                rows,
            )
        )
    total = await count_deliveries(session, BroadcastDelivery.broadcast_id == broadcast_id)
    await session.execute(update(Broadcast).where(Broadcast.id == broadcast_id).values(total=total))
    return total


async def stars_ran_out(session: AsyncSession, broadcast_id: int, *, now: datetime) -> bool:
    """Note that the bot's Stars ran out during this paid broadcast (the rest goes at the free
    pace); True the first time, False if it was already noted."""
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.stars_out_at.is_(None))
        .values(stars_out_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def count_deliveries(session: AsyncSession, *where: Any) -> int:
    stmt = select(func.count()).select_from(BroadcastDelivery).where(*where)
    return int((await session.execute(stmt)).scalar_one())


# Acknowledgements ------------------------------------------------------------------------------


async def acknowledge(
    session: AsyncSession, broadcast_id: int, telegram_id: int, *, now: datetime
) -> bool | None:
    """Record that this person read it: True newly, False already, None if not a recipient."""
    where = and_(
        BroadcastDelivery.broadcast_id == broadcast_id,
        BroadcastDelivery.telegram_id == telegram_id,
    )
    result = await session.execute(
        update(BroadcastDelivery)
        .where(where, BroadcastDelivery.acked_at.is_(None))
        .values(acked_at=now)
    )
    if getattr(result, "rowcount", 0):
        return True
    return False if await count_deliveries(session, where) else None


async def acks_by_region(
    session: AsyncSession, broadcast_id: int, *, length: int
) -> list[RegionAcks]:
    region = func.substr(BroadcastDelivery.scope_code, 1, length)
    reached = func.sum(case((BroadcastDelivery.status.in_(_REACHED), 1), else_=0))
    stmt = (
        select(region, func.count(), reached, func.count(BroadcastDelivery.acked_at))
        .where(BroadcastDelivery.broadcast_id == broadcast_id)
        .group_by(region)
        .order_by(region)
    )
    return [
        RegionAcks(code=c, total=t, reached=int(r or 0), acked=a)
        for c, t, r, a in (await session.execute(stmt)).all()
    ]


async def sender_language(session: AsyncSession, broadcast_id: int) -> str:
    stmt = (
        select(Person.language)
        .join(Broadcast, Broadcast.sender_id == Person.id)
        .where(Broadcast.id == broadcast_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() or "id"


async def recent(session: AsyncSession, scope: str, *, limit: int = 5) -> list[BroadcastView]:
    """The latest sent or sending broadcasts inside a viewer's scope."""
    stmt = (
        select(Broadcast)
        .where(
            Broadcast.scope_code.like(f"{scope}%"),
            Broadcast.status.in_([*ACTIVE, BroadcastStatus.DONE.value]),
        )
        .order_by(Broadcast.id.desc())
        .limit(limit)
    )
    return [view_of(b) for b in (await session.execute(stmt)).scalars()]
