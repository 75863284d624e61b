"""Start every background feature once the application runs (see `bot.runner.start`), and
stop them before it stops (`bot.runner.stop`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from handlers.context import DeskApplication

log = logging.getLogger(__name__)

Starter = Callable[[DeskApplication], Awaitable[None]]
Stopper = Callable[[DeskApplication], Awaitable[None]]

# Each feature appends an async function that (re)builds its jobs from the database.
STARTERS: list[Starter] = []
# ... and, if it runs its own tasks, one that ends them cleanly (called in reverse order).
STOPPERS: list[Stopper] = []


async def start_background(app: DeskApplication) -> None:
    for starter in STARTERS:
        await starter(app)
        log.info("background work started: %s", getattr(starter, "__qualname__", starter))


async def stop_background(app: DeskApplication) -> None:
    for stopper in reversed(STOPPERS):
        try:
            await stopper(app)
        except Exception:
            log.exception("stopping %s failed", getattr(stopper, "__qualname__", stopper))
