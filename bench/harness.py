"""Start the real bot (or a bare echo bot) against a BenchApi on a prepared database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from itertools import zip_longest
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot import runner
from bot.config import Settings
from domain.bots import BotInfo
from domain.masterdata import parse_tps_file
from storage import bots as bot_rows
from storage import regions
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import Person, Tps
from tests.conftest import TPS_FILE

from .common import BenchApi

FIRST_USER = 7_000_000_000
NOW = datetime(2024, 2, 13, 1, 0, tzinfo=UTC)


async def prepare_database(
    url: str,
    *,
    regencies: list[str] = (),
    provinces: list[str] = (),
    officers: int,  # type: ignore[assignment]
    bots: Sequence[BotInfo] = (),
) -> list[str]:
    """Migrate, import the region, register `officers` officers on distinct TPS; their TPS ids
    (see `register_officers` for `bots`)."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        data = await asyncio.to_thread(
            parse_tps_file, TPS_FILE, provinces=list(provinces), regencies=list(regencies)
        )
        sessions = create_sessionmaker(engine)
        async with sessions.begin() as session:
            await regions.import_masterdata(session, data)
    finally:
        await engine.dispose()
    return await register_officers(url, officers, bots=bots)


async def register_officers(url: str, officers: int, *, bots: Sequence[BotInfo] = ()) -> list[str]:
    """Register officers `FIRST_USER + i` on distinct TPS of a migrated, imported database;
    their TPS ids, officer i's at index i.

    Without `bots`: the first TPS by id, no bot recorded (the desk's first bot). With `bots`
    (the desk's, in its order): officer i is bound to bot `bots[i % len(bots)]` and sits on a
    TPS of a regency that bot serves, as the desk spreads them (`storage.bots.directory`)."""
    engine = create_engine(url)
    try:
        sessions = create_sessionmaker(engine)
        async with sessions.begin() as session:
            if bots:
                seats = await _seats_by_bot(session, bots, officers)
            else:
                found = await session.execute(select(Tps.id).order_by(Tps.id).limit(officers))
                seats = [(tps, None) for tps in found.scalars()]
            rows = [
                {
                    "telegram_id": FIRST_USER + i,
                    "name": f"Petugas {i}",
                    "role": "tps",
                    "scope_code": tps,
                    "language": "id",
                    "reachable": True,
                    "bot_id": bot_id,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i, (tps, bot_id) in enumerate(seats)
            ]
            for start in range(0, len(rows), 2000):
                await session.execute(insert(Person), rows[start : start + 2000])
        return [tps for tps, _ in seats]
    finally:
        await engine.dispose()


async def _seats_by_bot(
    session: AsyncSession, bots: Sequence[BotInfo], officers: int
) -> list[tuple[str, int]]:
    """(TPS id, bot id) for officers 0..officers-1, taking turns over the bots; each bot's
    TPS taken from its regencies in turn (so every regency it serves has officers)."""
    desk = await bot_rows.directory(session, bots)
    per_bot: dict[int, list[str]] = {}
    for bot in bots:
        codes = sorted(code for code, owner in desk.regencies.items() if owner == bot.id)
        need = -(-officers // len(bots))
        columns = [
            list(
                (
                    await session.execute(
                        select(Tps.id).where(Tps.regency_code == code).order_by(Tps.id).limit(need)
                    )
                ).scalars()
            )
            for code in codes
        ]
        per_bot[bot.id] = [tps for row in zip_longest(*columns) for tps in row if tps][:need]
    seats = []
    for i in range(officers):
        bot = bots[i % len(bots)].id
        seats.append((per_bot[bot][i // len(bots)], bot))
    return seats


@asynccontextmanager
async def desk_bot(api: BenchApi, url: str, **extra: Any) -> AsyncIterator[runner.Running]:
    """The real bot (`bot.runner`) polling `api` on `url`; `extra` are more `Settings` fields
    (e.g. `telegram_extra_bot_tokens` for bots added to `api` with `add_bot`)."""
    settings = Settings(
        _env_file=None,
        telegram_bot_token=api.token,  # type: ignore[call-arg]
        telegram_api_base_url=api.base_url,
        database_url=url,
        log_level="WARNING",
        **extra,
    )
    running = await runner.start(settings, clock=lambda: NOW, poll_timeout=1)
    try:
        yield running
    finally:
        await runner.stop(running)


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


@asynccontextmanager
async def echo_bot(api: BenchApi) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The baseline: a bare python-telegram-bot application that echoes text, defaults kept."""
    app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    await app.start()
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def closed_loop(
    api: BenchApi, chat_id: int, actions: list[Callable[[], object]], wait: float = 60.0
) -> None:
    """Act like a person: do one thing, wait for the bot's answer in the chat, go on."""
    for act in actions:
        answered: Awaitable[object] = api.expect(chat_id)
        act()
        await asyncio.wait_for(answered, wait)


def sqlite_url(folder: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{folder / name}"
