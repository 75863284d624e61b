"""What every handler can reach: services in `bot_data`, typed through `DeskContext`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot

Clock = Callable[[], datetime]
CheckinListener = Callable[[Any, "Services", int], Awaitable[Any]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """Long-lived collaborators, built once by the application factory."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock = utc_now
    invite_ttl_days: int = 30
    bot_username: str = ""
    election: str = "pemilu2024"  # which ballot types logistics check-ins cover
    download_dir: Path | None = None  # keep officers' photos on disk too, when set
    web_base_url: str | None = None  # the desk page's public address (/dasbor), when served
    # Called in the background with (application, services, check-in id) after a new
    # check-in is committed and receipted; the desk's alerts hook in here.
    checkin_listeners: list[CheckinListener] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction; commit on success. Never await Telegram inside it."""
        async with self.sessions() as session, session.begin():
            yield session


class BotData:
    """`application.bot_data`: holds the services (PTB builds it with no arguments)."""

    __slots__ = ("services",)

    def __init__(self) -> None:
        self.services: Services | None = None


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
