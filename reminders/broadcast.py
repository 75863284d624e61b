"""Broadcast delivery in the background: started with the bot, stopped before it.

Handlers call `services.broadcast_worker.wake()` after queueing a broadcast so delivery starts
at once instead of at the next poll.
"""

from __future__ import annotations

import logging

from reminders.broadcast_worker import DeliveryWorker
from services import DeskApplication, services_of

log = logging.getLogger(__name__)


class Workers:
    """The delivery workers of the bots this process holds (one per bot: each sends to its
    own people through its own limiter); woken together."""

    def __init__(self, workers: list[DeliveryWorker]) -> None:
        self.workers = workers

    def wake(self) -> None:
        """New work was queued: every worker looks at once."""
        for worker in self.workers:
            worker.wake()

    async def stop(self) -> None:
        """Stop every worker (see `DeliveryWorker.stop`)."""
        for worker in self.workers:
            await worker.stop()


async def start_delivery(app: DeskApplication) -> None:
    """Resume queued broadcasts and deliver new ones until the bot stops: a worker for each
    bot whose sender this process runs."""
    services = services_of(app)
    workers = [
        DeliveryWorker(
            sender.bot,
            services,
            services.broadcast_pace,
            limiter=sender.limiter,
            bots=sender.serves,
        )
        for sender in services.out.senders.values()
    ]
    services.broadcast_worker = Workers(workers)
    for worker in workers:
        worker.start()


async def stop_delivery(app: DeskApplication) -> None:
    services = services_of(app)
    worker = services.broadcast_worker
    services.broadcast_worker = None
    if isinstance(worker, Workers):
        await worker.stop()
