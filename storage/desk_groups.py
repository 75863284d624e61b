"""Desk groups: registering a group, its forum topics, following it to a supergroup.

The chats digests and alerts go to (`desk_group`); people are in `storage.people`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.models import DeskGroup
from storage.people import audit


async def register_group(
    session: AsyncSession,
    *,
    chat_id: int,
    title: str,
    scope: str,
    by: int,
    now: datetime,
    bot_id: int | None = None,
) -> bool:
    """Register or re-activate a desk group; True if it was not active before. `bot_id`: the
    desk's bot that is a member of the group and serves it (None: the desk's first)."""
    group = await session.get(DeskGroup, chat_id)
    if group is None:
        session.add(
            DeskGroup(
                chat_id=chat_id,
                title=title,
                scope_code=scope,
                registered_by=by,
                registered_at=now,
                active=True,
                bot_id=bot_id,
            )
        )
        await session.flush()
        return True
    was_active = group.active
    group.title, group.scope_code, group.active = title, scope, True
    if bot_id is not None:
        group.bot_id = bot_id
    return not was_active


async def unregister_group(session: AsyncSession, chat_id: int) -> bool:
    result = await session.execute(
        update(DeskGroup)
        .where(DeskGroup.chat_id == chat_id, DeskGroup.active.is_(True))
        .values(active=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def title_of(session: AsyncSession, chat_id: int) -> str | None:
    """The desk group's title as registered (active or not); None for an unknown chat."""
    group = await session.get(DeskGroup, chat_id)
    return group.title if group is not None else None


async def is_desk_group(session: AsyncSession, chat_id: int) -> bool:
    group = await session.get(DeskGroup, chat_id)
    return bool(group and group.active)


async def desk_groups(session: AsyncSession) -> list[tuple[int, str, str]]:
    """(chat id, title, scope) of every active desk group."""
    stmt = (
        select(DeskGroup.chat_id, DeskGroup.title, DeskGroup.scope_code)
        .where(DeskGroup.active.is_(True))
        .order_by(DeskGroup.chat_id)
    )
    return [(c, t, s) for c, t, s in (await session.execute(stmt)).all()]


async def desk_topics(session: AsyncSession) -> dict[int, tuple[int | None, int | None]]:
    """Chat id -> (digest topic, alert topic) of active desk groups (None: General). The alert
    topic falls back to the digest topic when none was chosen for alerts."""
    stmt = select(DeskGroup.chat_id, DeskGroup.thread_id, DeskGroup.alert_thread_id).where(
        DeskGroup.active.is_(True)
    )
    return {c: (t, a if a is not None else t) for c, t, a in (await session.execute(stmt)).all()}


async def set_group_topic(
    session: AsyncSession, chat_id: int, thread_id: int | None, *, alerts: bool
) -> bool:
    """Point a desk group's digests (or, `alerts`, its alerts) at a forum topic (None: General).
    False if the group is not an active desk group."""
    group = await session.get(DeskGroup, chat_id)
    if group is None or not group.active:
        return False
    if alerts:
        group.alert_thread_id = thread_id
    else:
        group.thread_id = thread_id
    return True


async def move_desk_group(
    session: AsyncSession, old_chat_id: int, new_chat_id: int, *, now: datetime
) -> bool:
    """A basic group became a supergroup (Telegram's `migrate_to_chat_id`): the desk group, and
    every call still owed to it, move to the new id, once. True if this call moved it."""
    group = await session.get(DeskGroup, old_chat_id)
    if group is None or not group.active:
        return False
    if await session.get(DeskGroup, new_chat_id) is None:
        session.add(
            DeskGroup(
                chat_id=new_chat_id,
                title=group.title,
                scope_code=group.scope_code,
                registered_by=group.registered_by,
                registered_at=group.registered_at,
                active=True,
                thread_id=group.thread_id,
                alert_thread_id=group.alert_thread_id,
                bot_id=group.bot_id,
            )
        )
    group.active = False
    await session.flush()
    await outbox.move_chat(session, old_chat_id, new_chat_id)
    await audit(
        session,
        actor_id=None,
        actor_label="telegram",
        action="group_migrated",
        detail={"from": old_chat_id, "to": new_chat_id, "title": group.title},
        now=now,
    )
    return True
