"""Rehearsals: start, end, the help officers needed, the report, and deleting the data.

How a rehearsal's rows stay apart from the real ones:

- a check-in filed while a rehearsal runs gets its `rehearsal_id` and is never `is_current`,
  so every real figure (the trigger-kept `checkin_count`, and every query filtering on
  `is_current`) leaves it out without knowing rehearsals exist; the views that list every
  version (histories, exports) filter on `rehearsal_id IS NULL`. Within a rehearsal the
  newest version per TPS and kind counts (`rehearsal_current`);
- its slots (reminders, escalations, digests, alerts) carry `rehearsal_id` and keys starting
  `sim<id>:`; digests and their deliveries hang off those slots;
- broadcasts composed while it runs carry `rehearsal_id`.

Deleting touches only rows reachable from the rehearsal's id, so real rows stay exactly as
they were (the end-to-end test compares both backends' dumps before and after).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.rehearsal import (
    EventKind,
    PersonLine,
    RehearsalInfo,
    RehearsalPlan,
    RehearsalReport,
    RehearsalStatus,
)
from domain.roles import Role
from storage.models import (
    Broadcast,
    BroadcastDelivery,
    Checkin,
    Digest,
    OutboxMessage,
    Person,
    Rehearsal,
    RehearsalEvent,
    Slot,
)

MAX_DETAIL = 200


class AlreadyRunning(Exception):
    """A rehearsal is running already (only one at a time)."""

    def __init__(self, running: RehearsalInfo) -> None:
        super().__init__(f"rehearsal {running.id} is running")
        self.running = running


def _info(row: Rehearsal) -> RehearsalInfo:
    return RehearsalInfo(
        id=row.id,
        started_at=row.started_at,
        ended_at=row.ended_at,
        started_by=row.started_by,
        plan=RehearsalPlan.from_dict(row.document),
        status=RehearsalStatus(row.status),
    )


# The running rehearsal's id: a one-row lookup (each check-in filed asks it as a subquery of
# `storage.checkins`' lookup before filing).
RUNNING_ID = select(Rehearsal.__table__.c.id).where(
    Rehearsal.__table__.c.status == RehearsalStatus.RUNNING.value
)


async def running_id(session: AsyncSession) -> int | None:
    """The running rehearsal's id, if one runs."""
    return (await session.execute(RUNNING_ID)).scalar_one_or_none()


async def running(session: AsyncSession) -> RehearsalInfo | None:
    stmt = select(Rehearsal).where(Rehearsal.status == RehearsalStatus.RUNNING.value)
    found = (await session.execute(stmt)).scalar_one_or_none()
    return _info(found) if found else None


async def get(session: AsyncSession, rehearsal_id: int) -> RehearsalInfo | None:
    found = await session.get(Rehearsal, rehearsal_id)
    return _info(found) if found else None


async def latest(session: AsyncSession) -> RehearsalInfo | None:
    """The newest rehearsal, whatever its status."""
    stmt = select(Rehearsal).order_by(Rehearsal.id.desc()).limit(1)
    found = (await session.execute(stmt)).scalar_one_or_none()
    return _info(found) if found else None


async def last_with_data(session: AsyncSession) -> int | None:
    """The running rehearsal, else the newest ended one whose data is still there."""
    stmt = (
        select(Rehearsal.id)
        .where(Rehearsal.status != RehearsalStatus.DELETED.value)
        .order_by(Rehearsal.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def start(
    session: AsyncSession, plan: RehearsalPlan, *, by: int | None, now: datetime
) -> RehearsalInfo:
    """Start a rehearsal; `AlreadyRunning` if one runs (a racing second start fails on the
    partial unique index `ux_rehearsal_running` with `IntegrityError`)."""
    current = await running(session)
    if current is not None:
        raise AlreadyRunning(current)
    row = Rehearsal(
        started_at=now,
        started_by=by,
        document=plan.to_dict(),
        status=RehearsalStatus.RUNNING.value,
    )
    session.add(row)
    await session.flush()
    return _info(row)


async def end(session: AsyncSession, *, now: datetime) -> RehearsalInfo | None:
    """End the running rehearsal (None if none runs); its open slots stop being sent."""
    stmt = select(Rehearsal).where(Rehearsal.status == RehearsalStatus.RUNNING.value)
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        return None
    row.status, row.ended_at = RehearsalStatus.ENDED.value, now
    await session.execute(
        update(Slot)
        .where(Slot.rehearsal_id == row.id, Slot.status == "sending")
        .values(status="missed", finished_at=now, note="rehearsal ended")
    )
    await session.flush()
    return _info(row)


async def claim_reports(session: AsyncSession, *, now: datetime) -> list[RehearsalInfo]:
    """Ended rehearsals whose report nobody sent yet, claimed now (each is sent once)."""
    stmt = select(Rehearsal).where(
        Rehearsal.status == RehearsalStatus.ENDED.value, Rehearsal.reported_at.is_(None)
    )
    claimed = []
    for row in (await session.execute(stmt)).scalars():
        result = await session.execute(
            update(Rehearsal)
            .where(Rehearsal.id == row.id, Rehearsal.reported_at.is_(None))
            .values(reported_at=now)
        )
        if getattr(result, "rowcount", 0):
            claimed.append(_info(row))
    return claimed


async def record_event(
    session: AsyncSession,
    *,
    person_id: int | None,
    kind: EventKind,
    detail: str | None,
    now: datetime,
) -> bool:
    """Store a failed line or cancelled draft if a rehearsal runs; True if stored."""
    rehearsal = await running_id(session)
    if rehearsal is None:
        return False
    session.add(
        RehearsalEvent(
            rehearsal_id=rehearsal,
            person_id=person_id,
            kind=kind.value,
            detail=(detail or "")[:MAX_DETAIL] or None,
            at=now,
        )
    )
    await session.flush()
    return True


def rehearsal_current(rehearsal_id: int) -> Select[Any]:
    """The newest version per TPS and kind within the rehearsal (its "current" check-ins)."""
    newest = (
        select(Checkin.tps_id, Checkin.kind, func.max(Checkin.version).label("version"))
        .where(Checkin.rehearsal_id == rehearsal_id)
        .group_by(Checkin.tps_id, Checkin.kind)
        .subquery()
    )
    return (
        select(Checkin)
        .join(
            newest,
            and_(
                Checkin.tps_id == newest.c.tps_id,
                Checkin.kind == newest.c.kind,
                Checkin.version == newest.c.version,
            ),
        )
        .where(Checkin.rehearsal_id == rehearsal_id)
    )


async def report(session: AsyncSession, rehearsal_id: int, scope: str) -> RehearsalReport | None:
    """Who filed, who never did, who needed help: every TPS officer and camat in `scope`."""
    info = await get(session, rehearsal_id)
    if info is None:
        return None
    filed_rows = await session.execute(
        select(Checkin.filed_by, Checkin.kind, func.count())
        .where(Checkin.rehearsal_id == rehearsal_id)
        .group_by(Checkin.filed_by, Checkin.kind)
    )
    filed: dict[int | None, dict[str, int]] = {}
    for person, kind, count in filed_rows.all():
        filed.setdefault(person, {})[kind] = int(count)
    event_rows = await session.execute(
        select(RehearsalEvent.person_id, RehearsalEvent.kind, func.count())
        .where(RehearsalEvent.rehearsal_id == rehearsal_id)
        .group_by(RehearsalEvent.person_id, RehearsalEvent.kind)
    )
    events: dict[int | None, dict[str, int]] = {}
    for person, kind, count in event_rows.all():
        events.setdefault(person, {})[kind] = int(count)
    people_rows = await session.execute(
        select(Person.id, Person.name, Person.role, Person.scope_code)
        .where(
            Person.role.in_([Role.TPS.value, Role.CAMAT.value]),
            Person.scope_code.like(f"{scope}%"),
        )
        .order_by(Person.scope_code, Person.id)
    )
    lines = []
    for person_id, name, role, person_scope in people_rows.all():
        kinds = filed.get(person_id, {})
        help_needed = events.get(person_id, {})
        lines.append(
            PersonLine(
                name=name,
                role=role,
                scope=person_scope,
                filed=sum(kinds.values()),
                kinds=tuple(sorted(kinds)),
                failed_lines=help_needed.get(EventKind.FAILED_LINE.value, 0),
                cancelled=help_needed.get(EventKind.CANCELLED_DRAFT.value, 0),
            )
        )
    current = rehearsal_current(rehearsal_id).subquery()
    tps_rows = await session.execute(select(current.c.kind, func.count()).group_by(current.c.kind))
    total = await session.execute(select(func.count()).where(Checkin.rehearsal_id == rehearsal_id))
    return RehearsalReport(
        rehearsal_id=rehearsal_id,
        started_at=info.started_at,
        ended_at=info.ended_at,
        people=tuple(lines),
        tps_filed={k: int(n) for k, n in tps_rows.all()},
        checkins=int(total.scalar_one()),
    )


async def delete_data(session: AsyncSession, rehearsal_id: int, *, now: datetime) -> dict[str, int]:
    """Delete every row the (ended) rehearsal caused; keep its own row, marked deleted.

    Returns how many rows went per table. A broadcast a real one resends stays (deleting it
    would break the real row's reference); it is counted as `broadcast_kept`.
    """
    slots = select(Slot.id).where(Slot.rehearsal_id == rehearsal_id)
    real = aliased(Broadcast)
    referenced = exists().where(real.resend_of == Broadcast.id, real.rehearsal_id.is_(None))
    broadcasts = select(Broadcast.id).where(Broadcast.rehearsal_id == rehearsal_id, ~referenced)
    kept = await session.execute(
        select(func.count()).where(Broadcast.rehearsal_id == rehearsal_id, referenced)
    )
    counts: dict[str, int] = {"broadcast_kept": int(kept.scalar_one())}
    statements: list[tuple[str, Any]] = [
        ("outbox_message", delete(OutboxMessage).where(OutboxMessage.slot_id.in_(slots))),
        ("digest", delete(Digest).where(Digest.slot_id.in_(slots))),
        ("slot", delete(Slot).where(Slot.rehearsal_id == rehearsal_id)),
        ("checkin", delete(Checkin).where(Checkin.rehearsal_id == rehearsal_id)),
        (
            "rehearsal_event",
            delete(RehearsalEvent).where(RehearsalEvent.rehearsal_id == rehearsal_id),
        ),
        (
            "broadcast_delivery",
            delete(BroadcastDelivery).where(BroadcastDelivery.broadcast_id.in_(broadcasts)),
        ),
    ]
    for table, statement in statements:
        result = await session.execute(statement.execution_options(synchronize_session=False))
        counts[table] = int(getattr(result, "rowcount", 0) or 0)
    # Resends among the rehearsal's own broadcasts point at each other: drop the links first.
    await session.execute(
        update(Broadcast)
        .where(Broadcast.rehearsal_id == rehearsal_id, ~referenced)
        .values(resend_of=None)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        delete(Broadcast)
        .where(Broadcast.rehearsal_id == rehearsal_id, ~referenced)
        .execution_options(synchronize_session=False)
    )
    counts["broadcast"] = int(getattr(result, "rowcount", 0) or 0)
    await session.execute(
        update(Rehearsal)
        .where(Rehearsal.id == rehearsal_id)
        .values(status=RehearsalStatus.DELETED.value, deleted_at=now)
    )
    return counts
