"""Which instance is active: a PostgreSQL advisory lock on a connection of its own.

Every instance of one bot token on one database asks `pg_try_advisory_lock` for the same key;
the one that gets it is active, the others are standbys and ask again every
`LEADER_RETRY_SECONDS`. The lock belongs to the database session, so it goes when the session
goes:

- the active process dies (crash, SIGKILL, power): its socket closes, PostgreSQL ends the
  session at once and a standby gets the lock on its next try (about a second);
- the active process is cut off from the database (network partition, server restart): its
  keepalive query (every `LEADER_KEEPALIVE_SECONDS`) fails or times out, or asyncpg reports
  the connection closed, and `lost` is set; the runner then stops everything and the process
  exits non-zero so systemd restarts it, as a standby. PostgreSQL ends the silent session
  after `idle_session_timeout` (`LEADER_SESSION_TIMEOUT_SECONDS`, default 10 s), and only then
  can a standby get the lock: by design the old leader has stopped first (at most keepalive +
  query timeout, 5 s with the defaults).

SQLite has no standby: a lock file beside the database keeps a second `deskbot run` on the
same file from starting at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import zlib
from pathlib import Path
from typing import IO, Protocol

import asyncpg
from sqlalchemy.engine import make_url

from bot.config import Settings

log = logging.getLogger(__name__)

# pg_try_advisory_lock(int4, int4): the first half says "a desk bot", the second which token,
# so `deskbot restore` can tell whether any desk bot runs on a database.
LOCK_NAMESPACE = 0x6465736B  # "desk"


class AlreadyRunning(RuntimeError):
    """Another instance holds the SQLite lock file."""


class Leadership(Protocol):
    lost: asyncio.Event

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait to become active; False if `stop` was set first."""

    async def release(self) -> None:
        """Give the role up (after all work stopped)."""


def lock_key(token: str) -> int:
    """A signed 32-bit key per bot (its numeric id), so several bots can share a database."""
    value = zlib.crc32(token.split(":", 1)[0].encode())
    return value - 2**32 if value >= 2**31 else value


# The desk-wide work of a desk with several bots (the schedule, SMS) has one holder too.
DESK_KEY = lock_key("desk-schedule")


def libpq_dsn(url: str) -> str:
    """`postgresql+asyncpg://...` -> `postgresql://...` for asyncpg and the pg_* tools."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PgLeadership:
    def __init__(
        self,
        url: str,
        key: int,
        *,
        retry_seconds: float = 1.0,
        keepalive_seconds: float = 2.0,
        session_timeout_seconds: int = 10,
        name: str = "this instance",
    ) -> None:
        self._dsn = libpq_dsn(url)
        self.key, self.name = key, name
        self._retry = retry_seconds
        self._keepalive = keepalive_seconds
        self._session_timeout = session_timeout_seconds
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._releasing = False
        self.lost = asyncio.Event()

    async def _connect(self) -> asyncpg.Connection:
        settings = {
            "application_name": "deskbot-leader",
            # PostgreSQL ends a lock session that went silent, which frees the lock.
            "idle_session_timeout": f"{self._session_timeout}s",
            # ...and notices a dead peer on an idle socket sooner than the kernel default.
            "tcp_keepalives_idle": "5",
            "tcp_keepalives_interval": "2",
            "tcp_keepalives_count": "3",
        }
        try:
            return await asyncpg.connect(self._dsn, timeout=5, server_settings=settings)
        except asyncpg.UndefinedObjectError:  # PostgreSQL < 14 has no idle_session_timeout
            del settings["idle_session_timeout"]
            log.warning("this PostgreSQL has no idle_session_timeout; see docs/deploy.md")
            return await asyncpg.connect(self._dsn, timeout=5, server_settings=settings)

    @property
    def holding(self) -> bool:
        """Whether this lock is held now (taken, and not given up)."""
        return self._task is not None and not self._releasing

    async def try_acquire(self) -> bool:
        """One try for the lock; True if it is held now (also when it was held already)."""
        if self.holding:
            return True
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await self._connect()
            got = await self._conn.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", LOCK_NAMESPACE, self.key, timeout=5
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("standby cannot reach the database (%s); retrying", type(exc).__name__)
            await self._close()
            return False
        if got:
            self._task = asyncio.create_task(self._watch(self._conn))
            log.info("%s is active (holds the lock)", self.name)
            return True
        return False

    async def acquire(self, stop: asyncio.Event) -> bool:
        said_standby = False
        while not stop.is_set():
            if await self.try_acquire():
                return True
            if not said_standby and self._conn is not None:
                log.info("standing by: another instance is active")
                said_standby = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._retry)
        return False

    async def _watch(self, conn: asyncpg.Connection) -> None:
        conn.add_termination_listener(lambda _c: self._lose("lock connection closed"))
        while not self.lost.is_set():
            await asyncio.sleep(self._keepalive)
            try:
                await conn.fetchval("SELECT 1", timeout=max(1.0, min(3.0, self._keepalive)))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._lose(f"keepalive failed: {type(exc).__name__}")

    def _lose(self, why: str) -> None:
        if self._releasing or self.lost.is_set():
            return
        log.error("lost the active role (%s): stopping all work", why)
        self.lost.set()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 3)
            if not conn.is_closed():
                conn.terminate()

    async def release(self) -> None:
        self._releasing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._close()  # closing the session releases the lock


class FileLeadership:
    """One instance per SQLite file: an exclusive `flock` on `<database>.lock`."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self.lost = asyncio.Event()
        self._handle: IO[str] | None = None

    async def acquire(self, stop: asyncio.Event) -> bool:
        if self._handle is not None:
            return not stop.is_set()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise AlreadyRunning(
                f"another deskbot is already running on {self.path.with_suffix('')}; "
                "stop it first (SQLite allows one instance; for a standby use PostgreSQL)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return not stop.is_set()

    async def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


class AlwaysLeader:
    """In-memory databases: nothing to share, nothing to guard."""

    def __init__(self) -> None:
        self.lost = asyncio.Event()

    async def acquire(self, stop: asyncio.Event) -> bool:
        return not stop.is_set()

    async def release(self) -> None:
        return None


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def sqlite_in_use(database: Path) -> bool:
    """True while a `deskbot run` holds the lock file of this SQLite database."""
    lock = database.with_name(database.name + ".lock")
    if not lock.exists():
        return False
    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


async def pg_in_use(url: str) -> bool:
    """True while any desk bot holds its lock on this PostgreSQL database."""
    conn = await asyncpg.connect(libpq_dsn(url), timeout=10)
    try:
        held = await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = $1 AND objsubid = 2"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            LOCK_NAMESPACE,
        )
    finally:
        await conn.close()
    return bool(held)


def leadership_for(settings: Settings) -> Leadership:
    """The right guard for the configured database."""
    url = settings.database_url
    if make_url(url).get_backend_name() == "postgresql":
        return PgLeadership(
            url,
            lock_key(settings.token()),
            retry_seconds=settings.leader_retry_seconds,
            keepalive_seconds=settings.leader_keepalive_seconds,
            session_timeout_seconds=settings.leader_session_timeout_seconds,
        )
    path = sqlite_path(url)
    return FileLeadership(path) if path is not None else AlwaysLeader()
