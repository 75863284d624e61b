"""Start every background feature once the application runs (see `bot.runner.start`).

Only the active instance runs background work: the runner awaits the starters after this
process became active, and the stoppers as soon as it stops being active (shutdown, or the
standby lock lost), before the application stops.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from handlers.context import DeskApplication
from reminders.scheduler import start_schedule, stop_schedule

log = logging.getLogger(__name__)

Starter = Callable[[DeskApplication], Awaitable[None]]
Stopper = Callable[[DeskApplication], Awaitable[None]]

# Each feature appends an async function that (re)builds its jobs from the database.
STARTERS: list[Starter] = []
# ...and may append one that stops them (in-flight work must be safe to cut short).
STOPPERS: list[Stopper] = []

STARTERS.append(start_schedule)
STOPPERS.append(stop_schedule)


async def start_background(app: DeskApplication) -> None:
    for starter in STARTERS:
        await starter(app)
        log.info("background work started: %s", getattr(starter, "__qualname__", starter))


async def stop_background(app: DeskApplication) -> None:
    """Run every stopper, newest first; one failing does not keep the others from running."""
    for stopper in reversed(STOPPERS):
        try:
            await stopper(app)
        except Exception:
            log.exception("background stopper %s failed", getattr(stopper, "__qualname__", stopper))
