"""SQLAlchemy's aiosqlite driver, one thread hop per statement instead of four.

aiosqlite runs every call on its connection's own thread; SQLAlchemy's adapter makes four such
calls per statement (open a cursor, execute, fetch all, close), each a round trip through a
queue, `call_soon_threadsafe` and the event loop's self-pipe. Profiling `deskbot run` under load
(`make bench BENCH_ARGS=ceiling`, py-spy) showed those hops costing more CPU than SQLite itself:
about 75 us each against 11 us for a primary-key SELECT in plain `sqlite3`. This cursor runs
the four steps as one call on the same thread, so nothing else changes: the same connection,
the same thread, the same locking and transactions, rows fetched in full as before.

It uses two of aiosqlite's private names (`Connection._execute`, `Connection._conn`), as
SQLAlchemy's own adapter does (`_conn`, `_tx`); `tests/unit/test_sqlite_driver.py` fails if a
new aiosqlite moves them. Server-side cursors (`stream()`) keep SQLAlchemy's own adapter.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Ran = tuple[Any, int, int | None, list[Any] | None, bool]


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Ran:
    """On the connection's thread: execute, read everything, close. (description, rowcount,
    lastrowid, rows or None when the statement returns no rows, whether a transaction is open
    after it)."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, cursor.rowcount, cursor.lastrowid, rows, conn.in_transaction
    finally:
        cursor.close()


class OneCallCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement runs in a single call on the connection's thread
    (the DBAPI cursor interface SQLAlchemy expects: description, rowcount, lastrowid, fetch*)."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor is opened here (the base class opens one: a call of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        """Rows are fetched in full; the size asked for changes nothing."""

    async def _async_soft_close(self) -> None:
        """Nothing to close: the statement's cursor closed in the call that ran it."""

    def close(self) -> None:
        self._rows.clear()

    async def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapted = self._adapt_connection
        async with adapted._execute_mutex:
            description, rowcount, lastrowid, rows, open_ = await connection._execute(
                _run, connection._conn, operation, parameters, many
            )
        if isinstance(adapted, OneCallConnection):
            adapted.open = open_
        self._description, self._rowcount, self._lastrowid = description, rowcount, lastrowid
        self._rows = collections.deque(rows or ())

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._run(operation, parameters, many=False)
        return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._run(operation, seq_of_parameters, many=True)
        return self

    def nextset(self) -> None:
        """SQLite has one result set per statement."""

    def setinputsizes(self, *inputsizes: Any) -> None:
        """sqlite3 ignores input sizes."""

    def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or 1, len(rows)))]


class OneCallConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection adapter with `OneCallCursor` as its cursor, which
    skips the call to SQLite for a COMMIT or ROLLBACK when no transaction is open.

    The pool rolls every connection back as it returns (`reset_on_return`), after the commit
    that ended its session: that was one more call per session. Transactions here begin only
    by an explicit BEGIN (`storage.db` turns pysqlite's implicit ones off) run through this
    cursor, which notes after each statement, on SQLite's thread, whether one is open.
    """

    __slots__ = ("open",)
    _cursor_cls = OneCallCursor  # type: ignore[assignment]

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.open = True  # not known until the first statement: ask SQLite

    def commit(self) -> None:
        if self.open:
            super().commit()
            self.open = False

    def rollback(self) -> None:
        if self.open:
            super().rollback()
            self.open = False


class OneCallDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module given to `create_async_engine(module=...)` for SQLite URLs."""

    def connect(self, *arg: Any, **kw: Any) -> OneCallConnection:
        creator_fn = kw.pop("async_creator_fn", None)
        connection = creator_fn(*arg, **kw) if creator_fn else self.aiosqlite.connect(*arg, **kw)
        if not creator_fn:
            connection._thread.daemon = True  # as SQLAlchemy's adapter does
        return OneCallConnection(self, await_(connection))


def dbapi() -> OneCallDbapi:
    """A fresh DBAPI module object (SQLAlchemy keeps one per engine)."""
    return OneCallDbapi(aiosqlite, sqlite3)
