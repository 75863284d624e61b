"""Engine and session factories; nothing connects at import time.

SQLite takes one writer at a time. The writing engine therefore holds one connection: writers
queue for it in Python (an `asyncio` wait) instead of inside SQLite's busy handler, where a
dozen pooled connections each taking `BEGIN IMMEDIATE` sleep and retry. Reads that must never
wait for a writer (the desk page, the per-update lookups) go through a reading engine of their
own (`create_read_engine`): in WAL mode a reader sees the last commit and blocks nobody.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_driver

log = logging.getLogger(__name__)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an async engine; SQLite gets WAL, foreign keys and a busy timeout per connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        if _is_file(database):
            # One writer: see the module docstring. A burst queues here, so wait as long as
            # SQLite's own busy timeout would have.
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_timeout", 30)
        if parsed.get_driver_name() == "aiosqlite":
            kwargs.setdefault("module", sqlite_driver.dbapi())  # one thread hop per statement
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        # Take the write lock at BEGIN so concurrent writers queue instead of failing to upgrade.
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    # After a server restart every pooled connection is dead: one that rested in the pool is
    # tested as it is checked out and replaced, so the first update after a restart does not
    # fail (`_ping_if_rested`; SQLAlchemy's pool_pre_ping tests every checkout, a round trip
    # per transaction under load, 7 % of the bot's CPU per check-in in the ceiling profile).
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_recycle", 1800)
    # Fail a connection attempt to an unreachable server in 10 s, not asyncpg's 60.
    kwargs.setdefault("connect_args", {}).setdefault("timeout", 10)
    pinged = not kwargs.get("pool_pre_ping")
    made = create_async_engine(url, **kwargs)
    if pinged:
        event.listen(made.sync_engine.pool, "checkin", _note_rest)
        event.listen(made.sync_engine.pool, "checkout", _ping_if_rested(made.sync_engine.dialect))
    return made


# A pooled connection unused for longer than this is tested before it is handed out. Under
# load each connection is reused within milliseconds (no test); a server restart takes longer.
REST_BEFORE_PING_SECONDS = 0.5
_RESTED = "desk_rested_at"


def _note_rest(_dbapi_connection: Any, record: Any) -> None:
    record.info[_RESTED] = time.monotonic()


def _ping_if_rested(dialect: Any) -> Any:
    """A pool "checkout" listener: a connection the driver already knows is closed (asyncpg
    notices the server closing it: a restart) is replaced, and one that rested in the pool
    for more than `REST_BEFORE_PING_SECONDS` is pinged first (a connection dropped silently
    on the way); `DisconnectionError` makes the pool connect again (SQLAlchemy's pessimistic
    disconnect handling)."""

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        is_closed = getattr(getattr(dbapi_connection, "driver_connection", None), "is_closed", None)
        if callable(is_closed) and is_closed():
            raise DisconnectionError("pooled connection was closed by the server")
        rested = record.info.get(_RESTED)
        if rested is None or time.monotonic() - rested <= REST_BEFORE_PING_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError(f"pooled connection is dead: {type(exc).__name__}") from exc
        if not alive:
            raise DisconnectionError("pooled connection is dead")

    return checkout


def _is_file(database: str) -> bool:
    return bool(database) and database != ":memory:" and "mode=memory" not in database


def create_read_engine(engine: AsyncEngine) -> AsyncEngine:
    """An engine for sessions that only read (`read_sessionmaker`).

    A SQLite file gets its own small pool whose transactions are deferred (no write lock), so
    reads never queue behind the one writing connection. PostgreSQL readers never wait for
    writers, and an in-memory SQLite database exists only on its own connection: both share the
    writing engine's pool. Dispose of it with `dispose_read_engine`.
    """
    url = engine.url
    if url.get_backend_name() == "sqlite" and _is_file(url.database or ""):
        reader = create_engine(url.render_as_string(hide_password=False), pool_size=4)
        return reader.execution_options(**{READ_ONLY: True})
    return engine.execution_options(**{READ_ONLY: True})


async def dispose_read_engine(reader: AsyncEngine, engine: AsyncEngine) -> None:
    """Close a reading engine's own connections (none when it shares the writer's pool)."""
    if reader.sync_engine.pool is not engine.sync_engine.pool:
        await reader.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # aiosqlite opens in autocommit=False mode with pysqlite's implicit BEGIN; disable that so
    # the "begin" listener below controls transactions.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    options = connection.get_execution_options()
    if options.get(NO_TRANSACTION):
        return  # each statement on its own (`glance_sessionmaker`)
    if options.get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")  # a reader: never holds up the writers
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE")


async def sqlite_statement(engine: AsyncEngine, sql: str, params: Sequence[Any]) -> list[Any]:
    """Run one SQL statement on a SQLite engine's writing connection as a transaction of its
    own, in one call to aiosqlite's thread; return its rows (RETURNING), as tuples.

    A statement through SQLAlchemy is about ten such calls (cursor, BEGIN IMMEDIATE, execute,
    fetch, close, COMMIT), each a wait for the thread; a single statement in SQLite's
    autocommit mode is atomic and durable by itself. For the hottest single-statement writes
    only (`storage.inbox.take`); `params` must already be in the stored form (the columns'
    `bind_processor`s). Raises what sqlite3 raises.
    """
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection  # aiosqlite.Connection, autocommit (`_sqlite_pragmas`)
        assert driver is not None  # a checked-out connection always has its driver's
        return [tuple(row) for row in await driver.execute_fetchall(sql, params)]


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


READ_ONLY = "desk_read_only"
NO_TRANSACTION = "desk_no_transaction"


def read_sessionmaker(
    sessions: async_sessionmaker[AsyncSession], reader: AsyncEngine | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions that only read: on SQLite they open a deferred transaction instead of taking
    the write lock at BEGIN (the desk page must never queue a check-in). On `reader` (from
    `create_read_engine`) when given; otherwise on the writing engine's own pool."""
    engine = reader or sessions.kw["bind"].execution_options(**{READ_ONLY: True})
    return async_sessionmaker(engine, expire_on_commit=False)


def glance_sessionmaker(
    reads: async_sessionmaker[AsyncSession],
) -> async_sessionmaker[AsyncSession]:
    """Sessions for a lookup or two that need no common snapshot (who sent an update, their
    open draft): no BEGIN and no COMMIT, each statement sees the last commit on its own
    (SQLite's autocommit statements, PostgreSQL's AUTOCOMMIT). Two round trips fewer than a
    transaction; never for writes, nor for reads that must agree with each other."""
    engine: AsyncEngine = reads.kw["bind"]
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(**{NO_TRANSACTION: True})
    else:
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(engine, expire_on_commit=False)
