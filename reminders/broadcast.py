"""Broadcast delivery in the background: started with the bot, stopped before it.

Handlers call `services.broadcast_worker.wake()` after queueing a broadcast so delivery starts
at once instead of at the next poll.
"""

from __future__ import annotations

import logging

from services import DeskApplication, services_of

log = logging.getLogger(__name__)


async def start_delivery(app: DeskApplication) -> None:
    """Resume queued broadcasts and deliver new ones until the bot stops."""
    from reminders.broadcast_worker import DeliveryWorker

    services = services_of(app)
    worker = DeliveryWorker(app.bot, services, services.broadcast_pace)
    services.broadcast_worker = worker
    worker.start()


async def stop_delivery(app: DeskApplication) -> None:
    services = services_of(app)
    worker = services.broadcast_worker
    services.broadcast_worker = None
    if worker is not None:
        await worker.stop()  # type: ignore[attr-defined]
