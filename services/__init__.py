"""What every part of the running bot shares: the services, built once by the factory.

Below `handlers` and `reminders` (both take these), above `outbox` and `storage`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot

from domain.bots import Directory
from domain.broadcast import Pace
from domain.checkins.records import Filed, TpsInfo
from domain.clock import utc_now as utc_now  # the clock of the running bot, for its parts
from domain.roles import Role
from outbox.backlog import Backlog
from outbox.inbox import Inbox
from outbox.post import Post
from outbox.sender import Sender
from services.tps_cache import TpsInfoCache
from storage import checkins
from storage.db import glance_sessionmaker, read_sessionmaker

Clock = Callable[[], datetime]
# Called in the background with (application, services, the check-in) after a new check-in is
# committed and receipted; the desk's alerts hook in here.
CheckinListener = Callable[[Any, "Services", Filed], Awaitable[Any]]


class Waker(Protocol):
    """Background work that can be told new work is queued (the broadcast worker)."""

    def wake(self) -> None: ...


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command of the bot's menu: its name, the catalogue key describing it, who sees it."""

    name: str
    description_key: str
    roles: frozenset[Role] = frozenset(Role)
    unregistered: bool = False


@dataclass
class ScheduleRunner:
    """The scheduler's state (`reminders.scheduler`): one tick at a time, the one running."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    task: asyncio.Task[list[str]] | None = None


@dataclass
class Services:
    """Long-lived collaborators and settings, built once by the application factory."""

    sessions: async_sessionmaker[AsyncSession]
    # Sessions that only read and never wait for a writer (`storage.db.read_sessionmaker`);
    # tests that build services by hand may leave it out: reads then share `sessions`' pool.
    reads: async_sessionmaker[AsyncSession] | None = None
    glances: async_sessionmaker[AsyncSession] | None = None  # built from `reads` when first used
    clock: Clock = utc_now
    invite_ttl_days: int = 30
    bot_username: str = ""
    election: str = "pemilu2024"  # which ballot types logistics check-ins cover
    download_dir: Path | None = None  # keep officers' photos on disk too, when set
    web_base_url: str | None = None  # the desk page's public address (/dasbor), when served
    checkin_listeners: list[CheckinListener] = field(default_factory=list)
    # The menu per role (/bantuan, Telegram's command list): each feature's `register(app)`
    # adds its commands while the factory builds the application.
    commands: list[CommandSpec] = field(default_factory=list)
    # The main-menu keyboard: per role, the text keys of its labels in order (`handlers.menu`).
    menus: dict[Role, list[str]] = field(default_factory=dict)
    broadcast_pace: Pace = field(default_factory=Pace)
    paid_broadcasts: bool = False  # PAID_BROADCASTS: previews offer a paid send (Telegram Stars)
    desk_config_file: Path | None = None
    schedule_tick_seconds: float = 15.0
    # Set by the factory once the bot exists (tests that only need storage leave them unset):
    # the desk's first bot's sender and inbox, and the post all owed calls are queued through.
    sender: Sender | None = None
    inbox: Inbox | None = None
    post: Post | None = None
    # The desk's bots and which serves each regency (`domain.bots`); one bot until loaded.
    desk: Directory = field(default_factory=Directory)
    broadcast_worker: Waker | None = None
    schedule_runner: ScheduleRunner = field(default_factory=ScheduleRunner)
    # Owned by layers above this one, so typed `object` and narrowed where used (isinstance):
    sms: object = None  # sms.service.SmsService when SMS_ENABLED (bot.sms_wiring.sms_service)
    # SMS reminders to officers whose TPS declared no signal: (slot id, kind, scope, deadline).
    sms_reminders: Callable[[int, str, str, datetime], Awaitable[object]] | None = None
    albums: object = None  # handlers.checkins.album.Albums, set when the bot becomes active
    tps_cache: TpsInfoCache | None = None  # made when first asked (`tps_info`)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction; commit on success. Never await Telegram inside it."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A transaction that only reads: it never takes SQLite's write lock, so it neither
        waits for the writers nor holds them up."""
        if self.reads is None:
            self.reads = read_sessionmaker(self.sessions)
        async with self.reads() as session, session.begin():
            yield session

    @asynccontextmanager
    async def glance(self) -> AsyncIterator[AsyncSession]:
        """Reads outside any transaction (`storage.db.glance_sessionmaker`): for the lookups
        every update makes, where no two statements need to agree. Never write here."""
        if self.glances is None:
            if self.reads is None:
                self.reads = read_sessionmaker(self.sessions)
            self.glances = glance_sessionmaker(self.reads)
        async with self.glances() as session:
            yield session

    async def tps_info(self, tps_id: str) -> TpsInfo | None:
        """A TPS as shown to people (its label, its province's time): kept a while per process
        (`services.tps_cache`), never for filing; None if there is no such TPS."""
        if self.tps_cache is None:

            async def load(wanted: str) -> TpsInfo | None:
                async with self.glance() as session:
                    return await checkins.tps_info(session, wanted)

            self.tps_cache = TpsInfoCache(load)
        return await self.tps_cache.get(tps_id)

    @property
    def out(self) -> Post:
        """The post (`outbox.post`): every owed call is queued there; an error if the
        application factory has not attached one."""
        if self.post is None:
            raise RuntimeError("no sender attached; build the application with bot.app")
        return self.post

    def bot_username_for(self, scope_code: str) -> str:
        """The @username (without @) of the bot serving a scope: an invite's link opens it."""
        if not self.desk.bots:
            return self.bot_username
        return self.desk.for_scope(scope_code).username


class BotData:
    """`application.bot_data`: holds the services (PTB builds it with no arguments)."""

    __slots__ = ("albums", "backlog", "bot_id", "inbox", "sender", "services", "worker")

    def __init__(self) -> None:
        self.services: Services | None = None
        # This application's bot (a desk may run several, sharing the services): its id, the
        # sender its calls leave through, the inbox its updates are taken into, its album timers.
        self.bot_id: int = 0
        self.sender: Sender | None = None
        self.inbox: Inbox | None = None
        self.backlog: Backlog | None = None  # its updates taken and not yet handled
        self.albums: object = None
        self.worker: object = None  # its broadcast delivery worker while it is held


class DeskContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """Callback context with typed access to the services."""

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are not attached; build the app with bot.app")
        return services

    def now(self) -> datetime:
        return self.services.clock()


DeskApplication = Application[
    ExtBot[None], DeskContext, dict[Any, Any], dict[Any, Any], BotData, Any
]


def services_of(app: DeskApplication) -> Services:
    """The services attached to an application."""
    services = app.bot_data.services
    if services is None:
        raise RuntimeError("services are not attached; build the app with bot.app")
    return services
