"""The broadcast queue on both backends: confirming once, claiming once, surviving a crash."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.broadcast import Audience, AudienceKind, DeliveryStatus, DraftStep
from domain.people import Member
from domain.roles import Role
from storage import broadcasts, deliveries, people
from storage.deliveries import Outcome
from storage.models import Person

NOW = datetime(2024, 2, 13, 1, 0, tzinfo=UTC)


async def _people(sessions: async_sessionmaker[AsyncSession]) -> Member:
    """An admin of Kota Cilegon, five officers there, one camat, one officer elsewhere."""
    rows = [
        {"telegram_id": 1, "name": "Admin", "role": "admin", "scope_code": "3672"},
        *(
            {
                "telegram_id": 10 + n,
                "name": f"KPPS {n}",
                "role": "tps",
                "scope_code": f"3672011001-{n + 1:03d}",
            }
            for n in range(5)
        ),
        {"telegram_id": 20, "name": "Camat", "role": "camat", "scope_code": "367201"},
        {"telegram_id": 30, "name": "Luar", "role": "tps", "scope_code": "3601011001-001"},
    ]
    async with sessions.begin() as session:
        await session.execute(
            insert(Person),
            [
                {**r, "language": "id", "reachable": True, "created_at": NOW, "updated_at": NOW}
                for r in rows
            ],
        )
        admin = await people.member_by_telegram_id(session, 1)
    assert admin is not None
    return admin


async def _queued(
    sessions: async_sessionmaker[AsyncSession], admin: Member, audience: Audience
) -> int:
    async with sessions.begin() as session:
        draft = await broadcasts.start_draft(session, admin, now=NOW)
        await broadcasts.update_draft(
            session, draft.id, now=NOW, text="x", audience=audience, step=DraftStep.PREVIEW
        )
        total = await broadcasts.confirm(
            session, draft.id, sender_id=admin.id, status_message_id=None, now=NOW
        )
    assert total is not None
    return draft.id


async def test_audiences_stay_inside_the_senders_scope(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    admin = await _people(sessions)
    async with sessions.begin() as session:
        count = broadcasts.count_audience
        assert await count(session, "3672", Audience(AudienceKind.ALL), exclude=admin.id) == 6
        assert await count(session, "3672", Audience(AudienceKind.ROLE, Role.CAMAT.value)) == 1
        assert await count(session, "3672", Audience(AudienceKind.REGION, "3601")) == 0
        assert await count(session, "", Audience(AudienceKind.REGION, "3601")) == 1


async def test_confirming_twice_queues_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    admin = await _people(sessions)
    bid = await _queued(sessions, admin, Audience(AudienceKind.ALL))
    async with sessions.begin() as session:
        again = await broadcasts.confirm(
            session, bid, sender_id=admin.id, status_message_id=None, now=NOW
        )
        tally = await deliveries.tally_of(session, bid)
    assert again is None
    assert (tally.total, tally.pending) == (6, 6)


async def test_a_delivery_is_claimed_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    admin = await _people(sessions)
    bid = await _queued(sessions, admin, Audience(AudienceKind.ALL))
    async with sessions.begin() as session:
        due = await deliveries.due(session, now=NOW, limit=100)
    ids = [d.id for d in due]
    assert len(ids) == 6 and {d.broadcast_id for d in due} == {bid}
    async with sessions.begin() as session:
        first = await deliveries.claim(session, ids[:4], now=NOW)
    async with sessions.begin() as session:
        second = await deliveries.claim(session, ids, now=NOW)
    assert first == set(ids[:4]) and second == set(ids[4:])
    async with sessions.begin() as session:
        assert await deliveries.due(session, now=NOW, limit=100) == []


async def test_after_a_crash_claimed_rows_are_uncertain_and_never_due_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    admin = await _people(sessions)
    bid = await _queued(sessions, admin, Audience(AudienceKind.ROLE, "tps"))
    async with sessions.begin() as session:
        ids = [d.id for d in await deliveries.due(session, now=NOW, limit=100)]
        await deliveries.claim(session, ids[:3], now=NOW)
    async with sessions.begin() as session:  # the first one was recorded, then the crash
        await deliveries.record(
            session, [Outcome(ids[0], DeliveryStatus.SENT, message_id=7)], now=NOW
        )
    async with sessions.begin() as session:
        assert await deliveries.recover(session) == 2
        left = [d.id for d in await deliveries.due(session, now=NOW, limit=100)]
        tally = await deliveries.tally_of(session, bid)
    assert left == ids[3:]
    assert (tally.sent, tally.uncertain, tally.pending) == (1, 2, 2)


async def test_a_given_back_row_waits_for_its_retry_time(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    admin = await _people(sessions)
    await _queued(sessions, admin, Audience(AudienceKind.ROLE, "camat"))
    async with sessions.begin() as session:
        (due,) = await deliveries.due(session, now=NOW, limit=10)
        await deliveries.claim(session, [due.id], now=NOW)
        later = NOW.replace(minute=5)
        await deliveries.record(
            session, [Outcome(due.id, DeliveryStatus.PENDING, next_attempt_at=later)], now=NOW
        )
        assert await deliveries.due(session, now=NOW, limit=10) == []
        (again,) = await deliveries.due(session, now=later, limit=10)
    assert again.id == due.id and again.attempts == 1


async def test_acknowledging_is_idempotent_and_only_for_recipients(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    admin = await _people(sessions)
    bid = await _queued(sessions, admin, Audience(AudienceKind.ROLE, "camat"))
    async with sessions.begin() as session:
        assert await broadcasts.acknowledge(session, bid, 20, now=NOW) is True
        assert await broadcasts.acknowledge(session, bid, 20, now=NOW) is False
        assert await broadcasts.acknowledge(session, bid, 10, now=NOW) is None
        (region,) = await broadcasts.acks_by_region(session, bid, length=6)
    assert (region.code, region.total, region.acked) == ("367201", 1, 1)
