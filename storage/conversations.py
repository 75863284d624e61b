"""The conversation store: one draft per person, rewritten in the transaction of each step."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkins.records import Draft
from storage.models import Conversation


def _draft(row: Conversation) -> Draft:
    return Draft(
        telegram_id=row.telegram_id,
        chat_id=row.chat_id,
        flow=row.flow,
        step=row.step,
        started_at=row.started_at,
        updated_at=row.updated_at,
        token=row.draft,
        tps_id=row.tps_id,
        relayed=row.relayed,
        answers=dict(row.answers or {}),
        message_id=row.message_id,
        last_message_id=row.last_message_id,
    )


async def get(session: AsyncSession, telegram_id: int) -> Draft | None:
    row = await session.get(Conversation, telegram_id)
    return _draft(row) if row is not None else None


async def save(session: AsyncSession, draft: Draft) -> None:
    """Insert or overwrite this person's draft (a new check-in replaces an unfinished one)."""
    row = await session.get(Conversation, draft.telegram_id)
    if row is None:
        row = Conversation(telegram_id=draft.telegram_id, started_at=draft.started_at)
        session.add(row)
    row.draft = draft.token
    row.flow, row.step = draft.flow, draft.step
    row.tps_id, row.relayed = draft.tps_id, draft.relayed
    row.answers = dict(draft.answers)  # a new object, so the JSON column is seen as changed
    row.chat_id, row.message_id = draft.chat_id, draft.message_id
    row.last_message_id = draft.last_message_id
    row.started_at, row.updated_at = draft.started_at, draft.updated_at
    await session.flush()


async def drop(session: AsyncSession, telegram_id: int) -> None:
    await session.execute(delete(Conversation).where(Conversation.telegram_id == telegram_id))


async def open_count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Conversation))).scalar_one())
