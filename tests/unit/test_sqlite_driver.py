"""The one-call SQLite cursor (`storage.sqlite_driver`): the DBAPI behaviour SQLAlchemy relies
on, errors as SQLAlchemy's own adapter raises them, and one thread call per statement."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import sqlite_driver
from storage.db import (
    create_engine,
    create_read_engine,
    create_sessionmaker,
    glance_sessionmaker,
    read_sessionmaker,
)

META = MetaData()
ITEM = Table(
    "item", META, Column("id", Integer, primary_key=True), Column("name", String, unique=True)
)


def count_thread_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """From now on, every call made on an aiosqlite connection's thread, in order."""
    calls: list[Any] = []
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(fn)
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    made = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}")
    async with made.begin() as conn:
        await conn.run_sync(META.create_all)
    yield made
    await made.dispose()


async def test_sqlite_engines_use_the_one_call_cursor_and_aiosqlites_names_exist(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, sqlite_driver.OneCallConnection)
        driver = raw.driver_connection
        assert isinstance(driver, aiosqlite.Connection)
        assert isinstance(driver._conn, sqlite3.Connection)  # the names the driver relies on
        assert callable(driver._execute)


async def test_rows_counts_and_ids_come_back_as_sqlite3_gives_them(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(insert(ITEM).values(name="a"))
        assert first.inserted_primary_key == (1,)
        many = await conn.execute(insert(ITEM), [{"name": "b"}, {"name": "c"}, {"name": "d"}])
        assert many.rowcount == 3
        changed = await conn.execute(
            update(ITEM).where(ITEM.c.id > 2).values(name=ITEM.c.name + "!")
        )
        assert changed.rowcount == 2
        rows = (await conn.execute(select(ITEM.c.id, ITEM.c.name).order_by(ITEM.c.id))).all()
        assert [tuple(r) for r in rows] == [(1, "a"), (2, "b"), (3, "c!"), (4, "d!")]
        assert (await conn.execute(select(ITEM).where(ITEM.c.id == 9))).first() is None
        partial = await conn.execute(select(ITEM.c.name).order_by(ITEM.c.id))
        assert partial.fetchmany(2) == [("a",), ("b",)]
        assert partial.fetchall() == [("c!",), ("d!",)]
        streamed = await conn.stream(select(ITEM.c.id).order_by(ITEM.c.id))
        assert [r[0] async for r in streamed] == [1, 2, 3, 4]


async def test_errors_are_sqlalchemys_and_the_transaction_rolls_back(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(ITEM).values(name="a"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(ITEM).values(name="b"))
            await conn.execute(insert(ITEM).values(name="a"))
    with pytest.raises(OperationalError):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT nothing FROM nowhere"))
    async with engine.connect() as conn:
        names = (await conn.execute(select(ITEM.c.name))).scalars().all()
    assert names == ["a"]  # "b" went with the failed transaction


async def test_a_statement_is_one_call_on_the_connection_thread(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.connect() as conn:
        await conn.execute(select(ITEM))  # the connection is set up before counting
        calls = count_thread_calls(monkeypatch)
        await conn.execute(select(ITEM).where(ITEM.c.id == 1))
        assert len(calls) == 1
        await conn.execute(insert(ITEM), [{"name": "x"}, {"name": "y"}])
        assert len(calls) == 2


async def test_a_transaction_is_begin_statements_commit_and_nothing_more(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool's rollback as a connection comes back after a commit is not sent to SQLite
    (no transaction is open); a transaction left open is still rolled back."""
    async with engine.connect() as conn:
        await conn.execute(select(ITEM))
    calls = count_thread_calls(monkeypatch)
    async with engine.begin() as conn:  # BEGIN IMMEDIATE, INSERT, COMMIT; then back to the pool
        await conn.execute(insert(ITEM).values(name="kept"))
    assert len(calls) == 3
    async with engine.connect() as conn:  # BEGIN IMMEDIATE, INSERT, no commit: rolled back
        await conn.execute(insert(ITEM).values(name="dropped"))
    assert len(calls) == 6
    async with engine.connect() as conn:
        names = (await conn.execute(select(ITEM.c.name))).scalars().all()
    assert names == ["kept"]


async def test_a_glance_is_its_statements_alone(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`glance_sessionmaker`: no BEGIN, no COMMIT; each statement sees the last commit."""
    reader = create_read_engine(engine)  # as the bot has it: reads on a pool of their own
    glances = glance_sessionmaker(read_sessionmaker(create_sessionmaker(engine), reader))
    async with glances() as session:
        await session.execute(select(ITEM))  # the connection is set up before counting
    calls = count_thread_calls(monkeypatch)
    async with glances() as session:
        assert (await session.execute(select(ITEM.c.name))).all() == []
        async with engine.begin() as conn:  # committed by another connection meanwhile
            await conn.execute(insert(ITEM).values(name="baru"))
        assert (await session.execute(select(ITEM.c.name))).scalars().all() == ["baru"]
    assert len(calls) == 2 + 3  # two SELECTs; the writer's BEGIN, INSERT, COMMIT
    await reader.dispose()
