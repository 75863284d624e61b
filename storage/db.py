"""Engine and session factories; nothing connects at import time."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

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
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        # Take the write lock at BEGIN so concurrent writers queue instead of failing to upgrade.
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    # pre_ping: after a server restart every pooled connection is dead; test each one as it is
    # checked out and replace it, so the first update after a restart does not fail.
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_recycle", 1800)
    # Fail a connection attempt to an unreachable server in 10 s, not asyncpg's 60.
    kwargs.setdefault("connect_args", {}).setdefault("timeout", 10)
    return create_async_engine(url, **kwargs)


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
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")  # a reader: never holds up the writers
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


READ_ONLY = "desk_read_only"


def read_sessionmaker(
    sessions: async_sessionmaker[AsyncSession],
) -> async_sessionmaker[AsyncSession]:
    """Sessions on the same pool that only read: on SQLite they open a deferred transaction
    instead of taking the write lock at BEGIN (the desk page must never queue a check-in)."""
    engine = sessions.kw["bind"]
    return async_sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
