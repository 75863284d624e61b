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
    """Resume this bot's queued broadcast deliveries and deliver new ones until it stops, with
    its own sender's limiter; `services.broadcast_worker` wakes every bot's worker."""
    services = services_of(app)
    sender = app.bot_data.sender
    assert sender is not None
    worker = DeliveryWorker(
        sender.bot,
        services,
        services.broadcast_pace,
        limiter=sender.limiter,
        bots=sender.serves,
    )
    app.bot_data.worker = worker
    workers = services.broadcast_worker
    if not isinstance(workers, Workers):
        workers = services.broadcast_worker = Workers([])
    workers.workers.append(worker)
    worker.start()


async def stop_delivery(app: DeskApplication) -> None:
    """Stop this bot's worker (see `DeliveryWorker.stop`)."""
    services = services_of(app)
    worker = app.bot_data.worker
    app.bot_data.worker = None
    workers = services.broadcast_worker
    if isinstance(workers, Workers) and worker in workers.workers:
        workers.workers.remove(worker)
        if not workers.workers:
            services.broadcast_worker = None
    if isinstance(worker, DeliveryWorker):
        await worker.stop()
