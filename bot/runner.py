"""Run the bot: migrate, build, start polling (or the webhook), stop cleanly.

`deskbot run` and the end-to-end tests go through `serve`, so tests exercise the real path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update

from bot.app import build_application
from bot.config import Settings
from domain.broadcast import Pace
from handlers.commands import publish_default_commands
from handlers.context import Clock, DeskApplication, Services, utc_now
from reminders.setup import start_background, stop_background
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade

log = logging.getLogger(__name__)


@dataclass
class Running:
    """A started bot, for callers (and tests) that need to look inside."""

    app: DeskApplication
    engine: AsyncEngine
    services: Services


async def start(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    engine: AsyncEngine | None = None,
    poll_interval: float = 0.0,
    poll_timeout: int = 30,
    on_built: Callable[[DeskApplication], None] | None = None,
) -> Running:
    """Apply migrations, build the application, and start receiving updates."""
    token = settings.token()  # fail before touching anything else
    del token
    engine = engine or create_engine(settings.database_url)
    await upgrade(engine)
    services = Services(
        sessions=create_sessionmaker(engine), clock=clock, invite_ttl_days=settings.invite_ttl_days
    )
    services.extras["broadcast_pace"] = Pace(
        rate=settings.broadcast_rate, progress_every=settings.broadcast_progress_seconds
    )
    app = build_application(settings, services)
    if on_built is not None:
        on_built(app)
    await app.initialize()
    services.bot_username = app.bot.username
    await publish_default_commands(app.bot)
    if app.updater is not None:
        await app.updater.start_polling(
            poll_interval=poll_interval,
            timeout=poll_timeout,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
    await app.start()
    await start_background(app)
    log.info(
        "bot @%s started (%s)",
        app.bot.username,
        "webhook" if settings.webhook_mode else "long polling",
    )
    return Running(app=app, engine=engine, services=services)


async def stop(running: Running, *, dispose_engine: bool = True) -> None:
    """Stop fetching, finish the updates in hand, then close everything."""
    app = running.app
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    await stop_background(app)
    if app.running:
        await app.stop()
    await app.shutdown()
    if dispose_engine:
        await running.engine.dispose()
    log.info("bot stopped")


async def serve(settings: Settings, stop_event: asyncio.Event) -> None:
    """Run until `stop_event` is set (Ctrl-C or SIGTERM from the command line)."""
    running = await start(settings)
    try:
        await stop_event.wait()
    finally:
        await stop(running)
