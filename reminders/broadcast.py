"""Broadcast delivery in the background: started with the bot, stopped before it.

`install()` hooks the worker into `reminders.setup` (idempotent); handlers call `wake()` after
queueing a broadcast so delivery starts at once instead of at the next poll.
"""

from __future__ import annotations

import logging

from domain.broadcast import Pace
from handlers.context import DeskApplication, Services
from reminders import setup
from reminders.broadcast_send import send_content
from reminders.broadcast_worker import DeliveryWorker

log = logging.getLogger(__name__)

WORKER = "broadcast_worker"
PACE = "broadcast_pace"  # a `domain.broadcast.Pace` the runner puts in `services.extras`


async def start_delivery(app: DeskApplication) -> None:
    """Resume queued broadcasts and deliver new ones until the bot stops."""
    services = app.bot_data.services
    assert services is not None
    pace = services.extras.get(PACE) or Pace()
    worker = DeliveryWorker(app.bot, services, pace)
    services.extras[WORKER] = worker
    worker.start()


async def stop_delivery(app: DeskApplication) -> None:
    services = app.bot_data.services
    worker = services.extras.pop(WORKER, None) if services else None
    if isinstance(worker, DeliveryWorker):
        await worker.stop()


def wake(services: Services) -> None:
    worker = services.extras.get(WORKER)
    if isinstance(worker, DeliveryWorker):
        worker.wake()


def install() -> None:
    if start_delivery not in setup.STARTERS:
        setup.STARTERS.append(start_delivery)
    if stop_delivery not in setup.STOPPERS:
        setup.STOPPERS.append(stop_delivery)


__all__ = ["DeliveryWorker", "install", "send_content", "wake"]
