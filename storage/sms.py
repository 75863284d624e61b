"""SMS repositories: phones on people, received SMS, the send queue, the gateway's heartbeat.

Functions take a session and never commit (the caller's transaction decides).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.people import Member
from domain.sms import IncomingSms
from storage.models import Person
from storage.models.sms import (
    InboundStatus,
    SmsGateway,
    SmsInbound,
)
from storage.people import _member


class PhoneTaken(ValueError):
    """Another person already has this number."""


async def set_phone(session: AsyncSession, telegram_id: int, phone: str | None) -> Member | None:
    """Give a person an E.164 number (None clears it); None if nobody has this Telegram id.

    Raises `PhoneTaken` when someone else has the number (a number identifies one filer).
    """
    person = (
        await session.execute(select(Person).where(Person.telegram_id == telegram_id))
    ).scalar_one_or_none()
    if person is None:
        return None
    if phone is not None:
        other = (
            await session.execute(
                select(Person.telegram_id).where(Person.phone == phone, Person.id != person.id)
            )
        ).scalar_one_or_none()
        if other is not None:
            raise PhoneTaken(f"{phone} already belongs to Telegram id {other}")
    person.phone = phone
    await session.flush()
    return _member(person)


async def member_by_phone(session: AsyncSession, phone: str) -> Member | None:
    person = (
        await session.execute(select(Person).where(Person.phone == phone))
    ).scalar_one_or_none()
    return _member(person) if person else None


@dataclass(frozen=True, slots=True)
class Inbound:
    id: int
    sender: str
    phone: str | None
    text: str
    received_at: datetime
    arrived_at: datetime
    status: str


def _inbound(row: SmsInbound) -> Inbound:
    return Inbound(
        row.id, row.sender, row.phone, row.text, row.received_at, row.arrived_at, row.status
    )


async def record_inbound(
    session: AsyncSession,
    sms: IncomingSms,
    *,
    key: str,
    phone: str | None,
    device_id: str,
    envelope_id: str,
    arrived_at: datetime,
) -> tuple[int, bool]:
    """Store a received SMS once per dedupe key: (its id, whether this call stored it)."""
    found = (
        await session.execute(select(SmsInbound).where(SmsInbound.dedupe_key == key))
    ).scalar_one_or_none()
    if found is None:
        row = SmsInbound(
            dedupe_key=key,
            sender=sms.sender[:32],
            phone=phone,
            text=sms.text,
            sim_number=sms.sim_number,
            device_id=device_id[:64],
            envelope_id=envelope_id[:64],
            deliveries=1,
            received_at=sms.received_at,
            arrived_at=arrived_at,
            status=InboundStatus.NEW.value,
            outcome="",
        )
        try:
            async with session.begin_nested():
                session.add(row)
            return row.id, True
        except IntegrityError:  # the same SMS, delivered twice at the same moment
            found = (
                await session.execute(select(SmsInbound).where(SmsInbound.dedupe_key == key))
            ).scalar_one()
    found.deliveries += 1
    return found.id, False


async def inbound(session: AsyncSession, inbound_id: int) -> Inbound | None:
    row = await session.get(SmsInbound, inbound_id)
    return _inbound(row) if row else None


async def unprocessed(session: AsyncSession, *, limit: int = 100) -> list[int]:
    """Stored SMS not processed yet (a crash between storing and filing), oldest first."""
    rows = await session.execute(
        select(SmsInbound.id)
        .where(SmsInbound.status == InboundStatus.NEW.value)
        .order_by(SmsInbound.id)
        .limit(limit)
    )
    return list(rows.scalars())


async def finish_inbound(
    session: AsyncSession,
    inbound_id: int,
    *,
    status: InboundStatus,
    outcome: str,
    now: datetime,
    checkin_id: int | None = None,
    person_id: int | None = None,
) -> None:
    await session.execute(
        update(SmsInbound)
        .where(SmsInbound.id == inbound_id)
        .values(
            status=status.value,
            outcome=outcome[:40],
            checkin_id=checkin_id,
            person_id=person_id,
            processed_at=now,
        )
    )


async def same_text_since(
    session: AsyncSession, phone: str, text: str, since: datetime, *, before_id: int
) -> int:
    """Earlier SMS from this number with exactly this text, arrived since `since`."""
    return int(
        (
            await session.execute(
                select(func.count()).where(
                    SmsInbound.phone == phone,
                    SmsInbound.text == text,
                    SmsInbound.arrived_at >= since,
                    SmsInbound.id < before_id,
                )
            )
        ).scalar_one()
    )


async def touch_gateway(
    session: AsyncSession, device_id: str, now: datetime, *, ping: bool = False, sms: bool = False
) -> datetime | None:
    """Note a signed webhook from this device. If the desk had been told it was silent, clear
    that and return when it was last heard before (the catch-up starts there), else None."""
    row = await session.get(SmsGateway, device_id)
    if row is None:
        row = SmsGateway(device_id=device_id, last_seen_at=now)
        session.add(row)
    silent_since = row.last_seen_at if row.silent_since is not None else None
    row.last_seen_at = now
    row.silent_since = None
    if ping:
        row.last_ping_at = now
    if sms:
        row.last_sms_at = now
    await session.flush()
    return silent_since


@dataclass(frozen=True, slots=True)
class GatewaySeen:
    device_id: str
    last_seen_at: datetime
    silent_since: datetime | None


async def gateways(session: AsyncSession) -> list[GatewaySeen]:
    rows = await session.execute(select(SmsGateway).order_by(SmsGateway.device_id))
    return [GatewaySeen(g.device_id, g.last_seen_at, g.silent_since) for g in rows.scalars()]


async def mark_silent(session: AsyncSession, device_id: str, since: datetime) -> None:
    await session.execute(
        update(SmsGateway).where(SmsGateway.device_id == device_id).values(silent_since=since)
    )


async def mark_caught_up(session: AsyncSession, device_id: str, now: datetime) -> None:
    await session.execute(
        update(SmsGateway).where(SmsGateway.device_id == device_id).values(caught_up_at=now)
    )
