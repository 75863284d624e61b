"""`deskbot run`: one process's whole life around `bot.runner`'s phases.

`serve` takes the lock (SQLite: a file lock; PostgreSQL: an advisory lock, `bot.leader`), waits
as a standby until it holds it, prepares while the database and Telegram are unreachable
instead of crash-looping, serves the web side (metrics, the desk page, the Telegram and SMS
webhooks), and stops cleanly. A desk with several bots on PostgreSQL is shared by several
processes through `SharedDesk`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.exc import InterfaceError, OperationalError
from telegram.error import NetworkError

from bot.config import Settings
from bot.health import Role
from bot.leader import DESK_KEY, FileLeadership, PgLeadership, leadership_for, lock_key
from bot.runner import (
    Running,
    activate,
    activate_bot,
    activate_desk,
    halt,
    http_server,
    prepare,
    stop,
)
from bot.sms_wiring import own_server
from storage.db import create_engine
from storage.migrate import upgrade

log = logging.getLogger(__name__)

EXIT_LOST_LEADERSHIP = 3


async def _prepare_when_reachable(settings: Settings, stop_event: asyncio.Event) -> Running | None:
    """`prepare`, retried while the database or Telegram cannot be reached: a process that
    systemd restarted during an outage waits instead of crash-looping. The migrations run
    once: a retry after they succeeded only builds the application again."""
    migrated = False
    while True:
        try:
            if not migrated:
                await _migrate(settings)
                migrated = True
            return await prepare(settings, migrate=False)
        except (OSError, OperationalError, InterfaceError) as exc:
            log.warning("database unreachable (%s); trying again in 2 s", type(exc).__name__)
        except NetworkError as exc:
            log.warning(
                "Telegram unreachable (%s); trying again in 2 s (check the network, any proxy, "
                "and TELEGRAM_API_BASE_URL)",
                type(exc).__name__,
            )
        try:
            await asyncio.wait_for(stop_event.wait(), 2)
        except TimeoutError:
            continue
        return None


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings.database_url, **settings.engine_options())
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


class SharedDesk:
    """A desk with several bots on PostgreSQL, shared by several processes (maybe on several
    machines): each bot has exactly one holder at a time, and so has the desk-wide work (the
    schedule, SMS). Each is a PostgreSQL advisory lock (`bot.leader`): a bot's key is its
    token's (the same a one-bot instance takes), the desk's `DESK_KEY`. Every
    `leader_retry_seconds` this process tries the locks it does not hold, bots in the desk's
    order, until it holds HOLD_BOTS bots (default: all); a holder that dies frees its locks at
    once (its session ends) and another process takes them at its next try, a second or two.
    A lock lost while held stops this process (`EXIT_LOST_LEADERSHIP`), as for a standby."""

    def __init__(self, running: Running, stop_event: asyncio.Event) -> None:
        self.running, self.stop_event = running, stop_event
        settings = running.settings
        self.limit = settings.hold_bots or len(running.apps)
        self.leases: dict[int, PgLeadership] = {}
        self.desk = self._lease(DESK_KEY)

    def _lease(self, key: int) -> PgLeadership:
        settings = self.running.settings
        return PgLeadership(
            settings.database_url,
            key,
            retry_seconds=settings.leader_retry_seconds,
            keepalive_seconds=settings.leader_keepalive_seconds,
            session_timeout_seconds=settings.leader_session_timeout_seconds,
            name="the desk's schedule" if key == DESK_KEY else "a bot",
        )

    def _held(self) -> list[PgLeadership]:
        return [lease for lease in [*self.leases.values(), self.desk] if lease.holding]

    async def hold(self) -> bool:
        """Take what is free until stopped; True if a lock held was lost."""
        running = self.running
        while not self.stop_event.is_set():
            if any(lease.lost.is_set() for lease in self._held()):
                return True
            for app in running.apps:
                bot_id = app.bot_data.bot_id
                if bot_id in running.held or len(running.held) >= self.limit:
                    continue
                lease = self.leases.setdefault(bot_id, self._lease(lock_key(app.bot.token)))
                if await lease.try_acquire():
                    log.info("holding @%s", app.bot.username)
                    await activate_bot(running, app)
            if not running.desk_held and await self.desk.try_acquire():
                log.info("holding the desk's schedule")
                await activate_desk(running)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.stop_event.wait(), running.settings.leader_retry_seconds
                )
        return False

    async def release(self) -> None:
        """Free every lock this process took (after all work stopped: `serve` calls this
        last)."""
        for lease in [*self.leases.values(), self.desk]:
            await lease.release()


async def serve(
    settings: Settings,
    stop_event: asyncio.Event,
    *,
    on_lost: Callable[[], None] | None = None,
    on_running: Callable[[Running], None] | None = None,
) -> int:
    """Run until `stop_event` is set; return the process exit code.

    A standby waits here for the lock. If the active role is lost (the lock session died), all
    work stops at once, `on_lost` is called (the command line arms a hard-exit watchdog there)
    and the exit code is `EXIT_LOST_LEADERSHIP`, so the service manager restarts the process,
    which comes back as a standby.
    """
    leadership = leadership_for(settings)
    if isinstance(leadership, FileLeadership):
        # SQLite: refuse a second instance before it touches the database.
        await leadership.acquire(stop_event)
    try:
        maybe = await _prepare_when_reachable(settings, stop_event)
    except BaseException:
        await leadership.release()
        raise
    if maybe is None:
        await leadership.release()
        return 0
    running = maybe
    server = http_server(running)
    sms_server = own_server(running.settings, running.services, running.health)
    lost = False
    shared: SharedDesk | None = None
    try:
        if on_running is not None:
            on_running(running)
        if server is not None:
            await server.start()
        if sms_server is not None:
            await sms_server.start()
        if isinstance(leadership, PgLeadership) and len(running.apps) > 1:
            shared = SharedDesk(running, stop_event)
            lost = await shared.hold()
        else:
            if not await leadership.acquire(stop_event):
                return 0
            await activate(running)
            stopping = asyncio.create_task(stop_event.wait())
            losing = asyncio.create_task(leadership.lost.wait())
            await asyncio.wait({stopping, losing}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            losing.cancel()
            lost = leadership.lost.is_set()
        if lost:
            if on_lost is not None:
                on_lost()
            await halt(running)
        return EXIT_LOST_LEADERSHIP if lost else 0
    finally:
        running.health.role = Role.STOPPING
        if server is not None:
            await server.stop()
        if sms_server is not None:
            await sms_server.stop()
        await stop(running)
        if shared is not None:
            await shared.release()
        await leadership.release()
