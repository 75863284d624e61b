"""The conversation store: one draft per person, rewritten in the transaction of each step.

Read and written on every guided step, so through prebuilt Core statements (no ORM objects:
nothing is kept in a session's identity map between a write and the next read).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkins.records import Draft
from domain.people import Member
from storage.models import Conversation
from storage.people import _MEMBER, _member

_TABLE = cast(Table, Conversation.__table__)
_GET = select(_TABLE).where(_TABLE.c.telegram_id == bindparam("telegram_id"))
# Who sent a private update and their open draft, in one statement: most private updates go on
# to ask for the draft (a guided step, a line while one is open).
_DRAFT_PREFIX = "draft__"
_MEMBER_AND_DRAFT = _MEMBER.add_columns(
    *(column.label(_DRAFT_PREFIX + column.name) for column in _TABLE.c)
).outerjoin(_TABLE, _TABLE.c.telegram_id == _MEMBER.selected_columns.telegram_id)
_DROP = delete(_TABLE).where(_TABLE.c.telegram_id == bindparam("telegram_id"))


def _upsert(dialect: Any) -> Any:
    stmt = dialect.insert(_TABLE)
    changed = {c.name: stmt.excluded[c.name] for c in _TABLE.c if c.name != "telegram_id"}
    return stmt.on_conflict_do_update(index_elements=["telegram_id"], set_=changed)


_SAVE = {"postgresql": _upsert(postgresql), "sqlite": _upsert(sqlite)}


def _draft(row: Row[Any], prefix: str = "") -> Draft:
    """The draft in `row`, its columns named with `prefix`."""
    got = row._mapping
    return Draft(
        telegram_id=got[prefix + "telegram_id"],
        chat_id=got[prefix + "chat_id"],
        flow=got[prefix + "flow"],
        step=got[prefix + "step"],
        started_at=got[prefix + "started_at"],
        updated_at=got[prefix + "updated_at"],
        token=got[prefix + "draft"],
        tps_id=got[prefix + "tps_id"],
        relayed=got[prefix + "relayed"],
        answers=dict(got[prefix + "answers"] or {}),
        message_id=got[prefix + "message_id"],
        last_message_id=got[prefix + "last_message_id"],
    )


async def get(session: AsyncSession, telegram_id: int) -> Draft | None:
    """This person's open draft, if any."""
    row = (await session.execute(_GET, {"telegram_id": telegram_id})).first()
    return _draft(row) if row is not None else None


async def member_and_draft(
    session: AsyncSession, telegram_id: int
) -> tuple[Member | None, Draft | None]:
    """The registered person behind an account (None if unknown or revoked, as
    `people.member_by_telegram_id`) and their open draft (None if none), in one statement."""
    row = (await session.execute(_MEMBER_AND_DRAFT, {"telegram_id": telegram_id})).first()
    if row is None:
        return None, None
    has_draft = row._mapping[_DRAFT_PREFIX + "telegram_id"] is not None
    return _member(row), _draft(row, _DRAFT_PREFIX) if has_draft else None


async def save(session: AsyncSession, draft: Draft) -> None:
    """Insert or overwrite this person's draft (a new check-in replaces an unfinished one)."""
    values = {
        "telegram_id": draft.telegram_id,
        "draft": draft.token,
        "flow": draft.flow,
        "step": draft.step,
        "tps_id": draft.tps_id,
        "relayed": draft.relayed,
        "answers": dict(draft.answers),
        "chat_id": draft.chat_id,
        "message_id": draft.message_id,
        "last_message_id": draft.last_message_id,
        "started_at": draft.started_at,
        "updated_at": draft.updated_at,
    }
    await session.execute(_SAVE[session.get_bind().dialect.name], values)


async def drop(session: AsyncSession, telegram_id: int) -> None:
    """Forget this person's draft (finished, cancelled or no longer allowed)."""
    await session.execute(_DROP, {"telegram_id": telegram_id})


async def open_count(session: AsyncSession) -> int:
    """How many drafts are open."""
    return int((await session.execute(select(func.count()).select_from(_TABLE))).scalar_one())
