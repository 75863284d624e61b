"""The desk's bots: registering them, pinning regencies, their load, and whose chat is whose."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.bots import BotInfo, Directory, spread
from storage.models import BotRegion, DeskBot, DeskGroup, Person, Tps


@dataclass(frozen=True)
class BotLoad:
    """One bot as `deskbot bots` lists it: the regencies it serves, the people and desk groups
    bound to it, and the TPS of its regencies (its share of a reminder round)."""

    id: int
    username: str
    from_settings: bool  # its token comes from the settings, not from `deskbot bots add`
    regencies: list[str]
    pinned: list[str]
    people: int
    groups: int
    tps: int


async def register(
    session: AsyncSession, *, bot_id: int, username: str, token: str | None, now: datetime
) -> bool:
    """Add a bot, or refresh its username (and its token, when given). True if it is new."""
    row = await session.get(DeskBot, bot_id)
    if row is None:
        session.add(DeskBot(id=bot_id, username=username, token=token, added_at=now))
        await session.flush()
        return True
    row.username = username
    if token is not None:
        row.token = token
    return False


async def remove(session: AsyncSession, bot_id: int) -> bool:
    """Forget a bot added with `deskbot bots add` (its pins go too). The people and groups
    bound to it keep the binding: they are written to by the desk's first bot's sender only if
    that bot may (Telegram refuses a bot the person never started). True if it was there."""
    row = await session.get(DeskBot, bot_id)
    if row is None:
        return False
    await session.execute(delete(BotRegion).where(BotRegion.bot_id == bot_id))
    await session.delete(row)
    await session.flush()
    return True


async def stored_tokens(session: AsyncSession) -> list[str]:
    """The tokens of bots added with `deskbot bots add`, in the order they were added."""
    stmt = select(DeskBot.token).where(DeskBot.token.is_not(None)).order_by(DeskBot.added_at)
    return [token for token in (await session.execute(stmt)).scalars() if token]


async def pin(session: AsyncSession, bot_id: int, regencies: Iterable[str]) -> None:
    """Pin regencies (4-digit codes) to a bot; a regency pinned elsewhere moves."""
    for code in regencies:
        row = await session.get(BotRegion, code)
        if row is None:
            session.add(BotRegion(regency_code=code, bot_id=bot_id))
        else:
            row.bot_id = bot_id
    await session.flush()


async def pins(session: AsyncSession) -> dict[str, int]:
    """Regency code -> bot id, for the pinned regencies."""
    rows = await session.execute(select(BotRegion.regency_code, BotRegion.bot_id))
    return {code: bot for code, bot in rows.all()}


async def regency_tps(session: AsyncSession) -> dict[str, int]:
    """Regency code -> TPS in service there (the weight regencies are spread by)."""
    stmt = (
        select(Tps.regency_code, func.count())
        .where(Tps.retired_at.is_(None))
        .group_by(Tps.regency_code)
    )
    return {code: int(n) for code, n in (await session.execute(stmt)).all()}


async def directory(session: AsyncSession, bots: Sequence[BotInfo]) -> Directory:
    """The desk's `Directory` for `bots` (in the desk's order: the settings' bots first, then
    those added with `deskbot bots add`): each regency's bot, pinned or spread by TPS."""
    assignment = spread(
        (await regency_tps(session)).items(), [b.id for b in bots], await pins(session)
    )
    return Directory(bots=list(bots), regencies=assignment)


async def chat_owners(session: AsyncSession, chat_ids: Iterable[int]) -> dict[int, int | None]:
    """Chat id -> the bot recorded for that person or desk group (None: the desk's first);
    chats the desk does not know are left out."""
    wanted = sorted(set(chat_ids))
    owners: dict[int, int | None] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        people = select(Person.telegram_id, Person.bot_id).where(Person.telegram_id.in_(chunk))
        groups = select(DeskGroup.chat_id, DeskGroup.bot_id).where(DeskGroup.chat_id.in_(chunk))
        for stmt in (people, groups):
            owners.update({chat: bot for chat, bot in (await session.execute(stmt)).all()})
    return owners


async def loads(session: AsyncSession, desk: Directory, from_settings: set[int]) -> list[BotLoad]:
    """Each of the desk's bots with its regencies, people, groups and TPS, in the desk's order;
    people and groups recorded with no bot (or a bot the desk no longer has) count for the
    first bot."""
    tps = await regency_tps(session)
    pinned = await pins(session)
    people = dict(
        (await session.execute(select(Person.bot_id, func.count()).group_by(Person.bot_id))).all()
    )
    groups = dict(
        (
            await session.execute(
                select(DeskGroup.bot_id, func.count())
                .where(DeskGroup.active.is_(True))
                .group_by(DeskGroup.bot_id)
            )
        ).all()
    )
    known = {b.id for b in desk.bots}
    result = []
    for info in desk.bots:
        mine = sorted(code for code, bot in desk.regencies.items() if bot == info.id)
        first = info.id == desk.first.id
        result.append(
            BotLoad(
                id=info.id,
                username=info.username,
                from_settings=info.id in from_settings,
                regencies=mine,
                pinned=sorted(code for code, bot in pinned.items() if bot == info.id),
                people=sum(
                    int(n) for b, n in people.items() if b == info.id or (first and b not in known)
                ),
                groups=sum(
                    int(n) for b, n in groups.items() if b == info.id or (first and b not in known)
                ),
                tps=sum(tps.get(code, 0) for code in mine),
            )
        )
    return result
