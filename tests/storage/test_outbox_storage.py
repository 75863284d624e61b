"""The outbox table (`storage.outbox`): keyed calls queued once, claimed answers, and a newer
edit of a message superseding the edits of it still pending (only those)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.outbox import OutStatus
from outbox import messages
from storage import outbox
from storage.models import OutboxMessage

NOW = datetime(2024, 2, 14, 0, 30, tzinfo=UTC)


async def _statuses(sessions: async_sessionmaker[AsyncSession]) -> dict[int, str]:
    async with sessions() as session:
        rows = (await session.execute(select(OutboxMessage.id, OutboxMessage.status))).all()
    return {row.id: row.status for row in rows}


async def test_a_newer_edit_supersedes_only_pending_edits_of_that_message(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        first = await outbox.enqueue(session, [messages.edit_text(7, 100, "langkah 1")], now=NOW)
        other_message = await outbox.enqueue(
            session, [messages.edit_text(7, 101, "pesan lain")], now=NOW
        )
        other_chat = await outbox.enqueue(
            session, [messages.edit_text(8, 100, "obrolan lain")], now=NOW
        )
        claimed = await outbox.enqueue(
            session, [messages.edit_text(7, 100, "sedang dikirim")], now=NOW, claim=lambda _: True
        )
        text = await outbox.enqueue(session, messages.text_message(7, "pesan baru"), now=NOW)
    async with sessions.begin() as session:
        newest = await outbox.enqueue(session, [messages.edit_text(7, 100, "langkah 2")], now=NOW)
    assert claimed[0].claimed
    status = await _statuses(sessions)
    assert status[first[0].id] == OutStatus.SUPERSEDED
    assert status[claimed[0].id] == OutStatus.SENDING  # under way: not taken back
    assert status[other_message[0].id] == OutStatus.PENDING
    assert status[other_chat[0].id] == OutStatus.PENDING
    assert status[text[0].id] == OutStatus.PENDING  # a message, not an edit
    assert status[newest[0].id] == OutStatus.PENDING


async def test_a_keyed_call_is_queued_once_and_supersedes_nothing_the_second_time(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    edit = messages.edit_text(7, 100, "ringkasan", key="summary:1")
    async with sessions.begin() as session:
        once = await outbox.enqueue(session, [edit], now=NOW)
        later = await outbox.enqueue(session, [messages.edit_text(7, 100, "baru")], now=NOW)
        again = await outbox.enqueue(
            session, [messages.edit_text(7, 100, "ringkasan", key="summary:1")], now=NOW
        )
    assert len(once) == 1 and len(later) == 1 and again == []
    status = await _statuses(sessions)
    assert status[once[0].id] == OutStatus.SUPERSEDED
    assert status[later[0].id] == OutStatus.PENDING


async def test_outcomes_are_recorded_for_claimed_rows_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    later = datetime(2024, 2, 14, 0, 31, tzinfo=UTC)
    async with sessions.begin() as session:
        rows = await outbox.enqueue(
            session,
            [messages.edit_text(7, n, f"pesan {n}") for n in (1, 2, 3, 4)],
            now=NOW,
            claim=lambda item: item.params["message_id"] != 4,
        )
    sent_with_id, sent_without, retry, unclaimed = (r.id for r in rows)
    async with sessions.begin() as session:
        await outbox.record(
            session,
            [
                outbox.Outcome(sent_with_id, OutStatus.SENT, message_id=555),
                outbox.Outcome(sent_without, OutStatus.SENT),
                outbox.Outcome(retry, OutStatus.PENDING, error="502", not_before=later),
                outbox.Outcome(unclaimed, OutStatus.SENT, message_id=9),  # not `sending`
            ],
            now=later,
        )
    async with sessions() as session:
        found = {
            row.id: row for row in (await session.execute(select(OutboxMessage))).scalars().all()
        }
    assert (found[sent_with_id].status, found[sent_with_id].message_id) == ("sent", 555)
    assert found[sent_with_id].finished_at is not None
    assert found[sent_with_id].finished_at.replace(tzinfo=UTC) == later
    assert (found[sent_without].status, found[sent_without].message_id) == ("sent", None)
    assert (found[retry].status, found[retry].error) == ("pending", "502")
    assert (found[unclaimed].status, found[unclaimed].message_id) == ("pending", None)
