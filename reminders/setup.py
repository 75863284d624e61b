"""Start the desk's background work once the application runs (see `bot.runner.activate`).

`BACKGROUND` is the desk-wide work (the schedule: reminders, escalations, digests): it runs
once for the desk, in the instance holding the schedule, whatever bots it holds; each message
it owes leaves through its recipient's bot. Broadcast delivery runs per bot, in the instance
holding that bot (`start_bot_work`). The runner awaits the starters after this process became
active, and the stoppers as soon as it stops being active (shutdown, or a lock lost), before
the application stops.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from reminders.broadcast import start_delivery, stop_delivery
from reminders.scheduler import start_schedule, stop_schedule
from services import DeskApplication

log = logging.getLogger(__name__)

Starter = Callable[[DeskApplication], Awaitable[None]]
Stopper = Callable[[DeskApplication], Awaitable[None]]

# Each feature's starter (re)builds its jobs from the database; its stopper stops them (work in
# flight must be safe to cut short). Started in this order, stopped in the reverse.
BACKGROUND: tuple[tuple[Starter, Stopper | None], ...] = ((start_schedule, stop_schedule),)


async def start_bot_work(app: DeskApplication) -> None:
    """The background work of one bot this process now holds: its broadcast deliveries."""
    await start_delivery(app)


async def stop_bot_work(app: DeskApplication) -> None:
    """Stop what `start_bot_work` started for this bot."""
    try:
        await stop_delivery(app)
    except Exception:
        log.exception("stopping @%s's broadcast delivery failed", app.bot.username)


async def start_background(app: DeskApplication) -> None:
    for starter, _ in BACKGROUND:
        await starter(app)
        log.info("background work started: %s", getattr(starter, "__qualname__", starter))


async def stop_background(app: DeskApplication) -> None:
    """Run every stopper, newest first; one failing does not keep the others from running."""
    for _, stopper in reversed(BACKGROUND):
        if stopper is None:
            continue
        try:
            await stopper(app)
        except Exception:
            log.exception("background stopper %s failed", getattr(stopper, "__qualname__", stopper))
