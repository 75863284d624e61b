"""Start every background feature once the application runs (see `bot.runner.start`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from handlers.context import DeskApplication

log = logging.getLogger(__name__)

Starter = Callable[[DeskApplication], Awaitable[None]]

# Each feature appends an async function that (re)builds its jobs from the database.
STARTERS: list[Starter] = []


async def start_background(app: DeskApplication) -> None:
    for starter in STARTERS:
        await starter(app)
        log.info("background work started: %s", getattr(starter, "__qualname__", starter))
