"""Broadcast delivery in the background: started with the bot, stopped before it.

`install()` hooks the worker into `reminders.setup` (idempotent); handlers call `wake()` after
queueing a broadcast so delivery starts at once instead of at the next poll.
"""

from __future__ import annotations

import logging
from typing import Any

from domain.broadcast import Pace
from handlers.context import DeskApplication, Services
from reminders import setup

log = logging.getLogger(__name__)

WORKER = "broadcast_worker"
PACE = "broadcast_pace"  # a `domain.broadcast.Pace` the runner puts in `services.extras`


async def start_delivery(app: DeskApplication) -> None:
    """Resume queued broadcasts and deliver new ones until the bot stops."""
    services = app.bot_data.services
    assert services is not None
    from reminders.broadcast_worker import DeliveryWorker  # it imports handlers.broadcast

    pace = services.extras.get(PACE) or Pace()
    worker = DeliveryWorker(app.bot, services, pace)
    services.extras[WORKER] = worker
    worker.start()


async def stop_delivery(app: DeskApplication) -> None:
    services = app.bot_data.services
    worker: Any = services.extras.pop(WORKER, None) if services else None
    if worker is not None:
        await worker.stop()


def wake(services: Services) -> None:
    worker: Any = services.extras.get(WORKER)
    if worker is not None:
        worker.wake()


def install() -> None:
    if start_delivery not in setup.STARTERS:
        setup.STARTERS.append(start_delivery)
    if stop_delivery not in setup.STOPPERS:
        setup.STOPPERS.append(stop_delivery)
