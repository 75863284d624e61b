"""The stored schedule, slot claims and per-recipient deliveries (the exactly-once ledger).

Claiming works in committed steps so a crash at any moment leaves a state the next start can
finish: a slot row is inserted once (its key is unique; a second inserter gets nothing), and
each message part to each chat is queued once in the outbox (`storage.outbox`), keyed by slot.
A part whose row exists is never sent again: if the bot died between sending and recording,
the part counts as sent (at most once, never twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.figures import Figures
from domain.outbox import OutStatus
from domain.schedule import DeskSchedule
from domain.slots import SlotDef
from storage import outbox
from storage.models import DeskScheduleRow, Digest, Slot

SCHEDULE_ROW = 1


def _insert(session: AsyncSession, table: type) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


async def load_schedule(session: AsyncSession) -> tuple[DeskSchedule | None, str | None]:
    """The stored schedule and the hash of the config file it last came from."""
    row = await session.get(DeskScheduleRow, SCHEDULE_ROW)
    if row is None:
        return None, None
    return DeskSchedule.from_dict(row.document), row.file_hash


async def save_schedule(
    session: AsyncSession,
    schedule: DeskSchedule,
    *,
    now: datetime,
    by: int | None,
    file_hash: str | None = None,
    keep_hash: bool = True,
) -> None:
    row = await session.get(DeskScheduleRow, SCHEDULE_ROW)
    if row is None:
        row = DeskScheduleRow(id=SCHEDULE_ROW, document={}, updated_at=now)
        session.add(row)
    row.document = schedule.to_dict()
    row.updated_at, row.updated_by = now, by
    if file_hash is not None or not keep_hash:
        row.file_hash = file_hash
    await session.flush()


@dataclass(frozen=True, slots=True)
class SlotRecord:
    id: int
    key: str
    kind: str
    subject: str
    due_at: datetime
    useful_until: datetime
    status: str
    sent: int
    failed: int
    note: str | None
    rehearsal_id: int | None = None


def _record(s: Slot) -> SlotRecord:
    return SlotRecord(
        s.id,
        s.key,
        s.kind,
        s.subject,
        s.due_at,
        s.useful_until,
        s.status,
        s.sent,
        s.failed,
        s.note,
        s.rehearsal_id,
    )


async def known_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        stmt = select(Slot.key).where(Slot.key.in_(keys[start : start + 500]))
        found.update((await session.execute(stmt)).scalars())
    return found


async def record_slot(
    session: AsyncSession, slot: SlotDef, *, status: str, now: datetime, note: str | None = None
) -> bool:
    """Insert the slot once; False if it was already recorded (by us or another instance)."""
    stmt = (
        _insert(session, Slot)
        .values(
            key=slot.key,
            kind=slot.kind.value,
            subject=slot.subject,
            due_at=slot.due_at,
            useful_until=slot.useful_until,
            status=status,
            claimed_at=now,
            finished_at=now if status != "sending" else None,
            sent=0,
            failed=0,
            note=note,
            rehearsal_id=slot.rehearsal_id,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def open_slots(session: AsyncSession) -> list[SlotRecord]:
    stmt = select(Slot).where(Slot.status == "sending").order_by(Slot.due_at, Slot.id)
    return [_record(s) for s in (await session.execute(stmt)).scalars()]


async def slot_by_key(session: AsyncSession, key: str) -> SlotRecord | None:
    found = (await session.execute(select(Slot).where(Slot.key == key))).scalar_one_or_none()
    return _record(found) if found else None


async def finish_slot(
    session: AsyncSession, slot_id: int, *, status: str, now: datetime, note: str | None = None
) -> None:
    sent, failed = await delivery_counts(session, slot_id)
    await session.execute(
        update(Slot)
        .where(Slot.id == slot_id)
        .values(status=status, finished_at=now, sent=sent, failed=failed, note=note)
    )


async def slots_by_status(
    session: AsyncSession, status: str, *, limit: int = 20
) -> tuple[int, list[SlotRecord]]:
    """Real slots (not a rehearsal's) with this status: how many, and the newest few."""
    where = (Slot.status == status, Slot.rehearsal_id.is_(None))
    count = (await session.execute(select(func.count()).where(*where))).scalar_one()
    stmt = select(Slot).where(*where).order_by(Slot.due_at.desc()).limit(limit)
    return int(count), [_record(s) for s in (await session.execute(stmt)).scalars()]


async def delivery_counts(session: AsyncSession, slot_id: int) -> tuple[int, int]:
    """(calls owed and not refused, calls refused for good) of a slot, from the outbox."""
    counts = await outbox.counts(session, slot_id=slot_id)
    refused = sum(counts.get(s.value, 0) for s in (OutStatus.FAILED, OutStatus.UNREACHABLE))
    lost = counts.get(OutStatus.EXPIRED.value, 0)
    return sum(counts.values()) - refused - lost, refused + lost


async def deliveries(session: AsyncSession, slot_id: int) -> list[tuple[int, str, str]]:
    """(chat id, part, status) of every call a slot queued, in order."""
    return [
        (chat_id, key.rsplit(":", 1)[-1], status)
        for chat_id, key, status in await outbox.slot_deliveries(session, slot_id)
    ]


# Digests ---------------------------------------------------------------------------------------


async def stored_digest(session: AsyncSession, slot_id: int, scope: str) -> Figures | None:
    stmt = select(Digest.figures).where(Digest.slot_id == slot_id, Digest.scope == scope)
    found = (await session.execute(stmt)).scalar_one_or_none()
    return Figures.from_json(found) if found else None


async def store_digest(
    session: AsyncSession, slot_id: int, figures: Figures, now: datetime
) -> Figures:
    """Store the digest's figures once; a second builder gets the first one's figures."""
    stmt = (
        _insert(session, Digest)
        .values(slot_id=slot_id, scope=figures.scope, built_at=now, figures=figures.to_json())
        .on_conflict_do_nothing(index_elements=["slot_id", "scope"])
    )
    await session.execute(stmt)
    stored = await stored_digest(session, slot_id, figures.scope)
    return stored or figures


async def previous_digest(
    session: AsyncSession, scope: str, *, before_slot: int | None = None
) -> Figures | None:
    """The last scheduled digest of this scope (before the given slot's digest, if any),
    from the same stream: a rehearsal's digest compares with that rehearsal's, a real one
    (and /rekap, without a slot) with real ones."""
    rehearsal = None
    if before_slot is not None:
        rehearsal = (
            await session.execute(select(Slot.rehearsal_id).where(Slot.id == before_slot))
        ).scalar_one_or_none()
    stream = Slot.rehearsal_id.is_(None) if rehearsal is None else Slot.rehearsal_id == rehearsal
    stmt = (
        select(Digest.figures)
        .join(Slot, Slot.id == Digest.slot_id)
        .where(Digest.scope == scope, stream)
    )
    if before_slot is not None:
        stmt = stmt.where(Digest.slot_id != before_slot)
        current = select(Digest.built_at).where(
            Digest.slot_id == before_slot, Digest.scope == scope
        )
        built = (await session.execute(current)).scalar_one_or_none()
        if built is not None:
            stmt = stmt.where(Digest.built_at <= built)
    stmt = stmt.order_by(Digest.built_at.desc(), Digest.id.desc()).limit(1)
    found = (await session.execute(stmt)).scalar_one_or_none()
    return Figures.from_json(found) if found else None
