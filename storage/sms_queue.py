"""The SMS send queue (`sms_outbound`): queue once, claim before sending, record after; and
who gets an SMS reminder. Functions take a session and never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.checkins.kinds import Kind
from domain.roles import Role
from storage.coverage import CURRENT
from storage.models import Checkin, Person
from storage.models.sms import OutboundState, SmsOutbound


async def answers_since(
    session: AsyncSession, phone: str, since: datetime, *, purpose: str | None = None
) -> int:
    """SMS queued to this number since `since` (of one purpose, when given)."""
    stmt = select(func.count()).where(SmsOutbound.phone == phone, SmsOutbound.created_at >= since)
    if purpose is not None:
        stmt = stmt.where(SmsOutbound.purpose == purpose)
    return int((await session.execute(stmt)).scalar_one())


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    phone: str,
    text: str,
    purpose: str,
    now: datetime,
    ttl: timedelta,
) -> bool:
    """Queue one SMS unless one with this key exists: whether this call queued it."""
    if (
        await session.execute(select(SmsOutbound.id).where(SmsOutbound.dedupe_key == key))
    ).first() is not None:
        return False
    row = SmsOutbound(
        dedupe_key=key[:80],
        phone=phone,
        text=text,
        purpose=purpose,
        state=OutboundState.QUEUED.value,
        created_at=now,
        not_after=now + ttl,
        next_attempt_at=now,
        attempts=0,
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Outgoing:
    id: int
    phone: str
    text: str
    purpose: str
    attempts: int
    not_after: datetime


async def claim_next(session: AsyncSession, now: datetime) -> Outgoing | None:
    """Expire what outlived its time-to-live, then claim the oldest due SMS (or None).

    The claim is committed before the gateway is called: a crash after it leaves the row
    `claimed`, and it is never sent again automatically (at most once).
    """
    await session.execute(
        update(SmsOutbound)
        .where(SmsOutbound.state == OutboundState.QUEUED.value, SmsOutbound.not_after <= now)
        .values(state=OutboundState.EXPIRED.value)
    )
    row = (
        await session.execute(
            select(SmsOutbound)
            .where(
                SmsOutbound.state == OutboundState.QUEUED.value,
                SmsOutbound.next_attempt_at <= now,
            )
            .order_by(SmsOutbound.next_attempt_at, SmsOutbound.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    attempts = row.attempts + 1  # read before the UPDATE refreshes the object
    claimed = await session.execute(
        update(SmsOutbound)
        .where(SmsOutbound.id == row.id, SmsOutbound.state == OutboundState.QUEUED.value)
        .values(state=OutboundState.CLAIMED.value, claimed_at=now, attempts=attempts)
    )
    if getattr(claimed, "rowcount", 1) != 1:
        return None
    return Outgoing(row.id, row.phone, row.text, row.purpose, attempts, row.not_after)


async def next_due_at(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(SmsOutbound.next_attempt_at)).where(
                SmsOutbound.state == OutboundState.QUEUED.value
            )
        )
    ).scalar_one()


async def record_outcome(
    session: AsyncSession,
    outbound_id: int,
    *,
    state: OutboundState,
    now: datetime,
    gateway_id: str | None = None,
    error: str | None = None,
    retry_at: datetime | None = None,
) -> None:
    """After the gateway call: sent, failed, or (with `retry_at`) back in the queue."""
    values: dict[str, Any] = {"state": state.value, "error": (error or None) and error[:200]}
    if state is OutboundState.SENT:
        values.update(sent_at=now, gateway_id=gateway_id)
    if retry_at is not None:
        values.update(state=OutboundState.QUEUED.value, next_attempt_at=retry_at)
    await session.execute(update(SmsOutbound).where(SmsOutbound.id == outbound_id).values(values))


@dataclass(frozen=True, slots=True)
class SmsRecipient:
    person_id: int
    phone: str
    language: str
    scope: str


async def no_signal_officers_to_remind(
    session: AsyncSession, kind: str, scope: str
) -> list[SmsRecipient]:
    """TPS officers with a phone inside `scope` whose TPS has not filed `kind` (as
    `storage.coverage.officers_to_remind`) and whose TPS's current `sinyal` check-in says there
    is no signal (payload `level` "none"). Telegram reachability does not matter here."""
    filed = exists().where(Checkin.tps_id == Person.scope_code, Checkin.kind == kind, CURRENT)
    signal = aliased(Checkin)
    stmt = (
        select(Person.id, Person.phone, Person.language, Person.scope_code, signal.payload)
        .join(
            signal,
            (signal.tps_id == Person.scope_code)
            & (signal.kind == Kind.SINYAL.value)
            & signal.is_current,
        )
        .where(
            Person.role == Role.TPS.value,
            Person.phone.is_not(None),
            Person.scope_code.like(f"{scope}%"),
            ~filed,
        )
        .order_by(Person.id)
    )
    return [
        SmsRecipient(pid, phone, lang, tps)
        for pid, phone, lang, tps, payload in (await session.execute(stmt)).all()
        if (payload or {}).get("level") == "none"
    ]


async def outbound_counts(session: AsyncSession) -> dict[str, int]:
    """How many queued SMS are in each state (for logs and tests)."""
    rows = await session.execute(
        select(SmsOutbound.state, func.count()).group_by(SmsOutbound.state)
    )
    return {state: int(n) for state, n in rows.all()}
