"""Live updates: one poller per process, fanned out to every open page as server-sent events.

Several processes may write check-ins (a standby, CLI imports, another bot token on the same
database), so the page cannot rely on in-process notifications. Instead one task per process
reads two numbers every `interval` seconds: the newest check-in id and the newest broadcast
acknowledgement (`storage.dashboard.mark`, two index lookups). Only when one moved does it read
what is new and put it on every subscriber's queue. The task runs while at least one page is
open and stops when the last one closes.

Each page filters the events to the viewer's scope before they leave the server. An event's
SSE id is the check-in id, so a reconnecting browser sends `Last-Event-ID` and gets what it
missed (check-ins inside its scope, up to `CATCH_UP`), then re-reads its figures anyway.
A queue that overflows (a stalled client) is replaced by a `resync` marker: the page re-reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import dashboard
from storage.dashboard import Event, Mark

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
CATCH_UP = 500
RESYNC = Event("resync", "", "ok", datetime.min.replace(tzinfo=UTC))


@dataclass(eq=False)
class Subscriber:
    """One open page's queue; `overflowed` when it fell behind (the page then re-reads)."""

    queue: asyncio.Queue[Event]
    overflowed: bool = False


class Live:
    """The shared poller. `subscribe()` is an async context manager yielding a queue."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, interval: float = 1.0):
        self._sessions = sessions
        self.interval = interval
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self._mark: Mark | None = None
        self.polls = 0  # how many times the poller read the marks (bench, tests)

    @property
    def listeners(self) -> int:
        return len(self._subscribers)

    @property
    def mark(self) -> Mark | None:
        """What the poller last saw, while it runs (None otherwise)."""
        return self._mark if self._task is not None and not self._task.done() else None

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscriber]:
        subscriber = Subscriber(asyncio.Queue(QUEUE_SIZE))
        self._subscribers.add(subscriber)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="web-live-poller")
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)
            if not self._subscribers and self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
                self._task = None
                self._mark = None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._poll()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live updates: could not read the database", exc_info=True)
            await asyncio.sleep(self.interval)

    async def _poll(self) -> None:
        async with self._sessions() as session:
            now = await dashboard.mark(session)
            self.polls += 1
            before = self._mark
            if before is None:
                self._mark = now
                return
            events: list[Event] = []
            newest, acked = now.checkin_id, now.acked_at
            if now.checkin_id > before.checkin_id:
                found = await dashboard.checkins_after(session, before.checkin_id, limit=CATCH_UP)
                if len(found) == CATCH_UP:  # more remain: the next poll reads on from here
                    newest = found[-1].checkin_id
                events += found
            if now.acked_at is not None and now.acked_at != before.acked_at:
                found = await dashboard.acks_after(session, before.acked_at, limit=CATCH_UP)
                if len(found) == CATCH_UP:
                    acked = found[-1].at
                events += found
        self._mark = Mark(newest, acked)
        for event in events:
            self._publish(event)

    def _publish(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            if subscriber.overflowed:
                continue
            try:
                subscriber.queue.put_nowait(event)
            except asyncio.QueueFull:
                subscriber.overflowed = True


def sse(event: Event) -> bytes:
    """One server-sent event; check-ins carry their id so a reconnect can catch up."""
    data = json.dumps(
        {
            "kind": event.kind,
            "code": event.code,
            "severity": event.severity,
            "at": event.at.isoformat(),
            "id": event.checkin_id or None,
            "broadcast": event.broadcast_id or None,
        }
    )
    head = f"id: {event.checkin_id}\n" if event.checkin_id else ""
    name = "ack" if event.kind == "ack" else ("resync" if event.kind == "resync" else "checkin")
    return f"{head}event: {name}\ndata: {data}\n\n".encode()


def visible(event: Event, scope: str) -> bool:
    """Whether a viewer with this scope may see the event (TPS ids and scopes are prefixes)."""
    return event.kind == "resync" or event.code.startswith(scope)


class Partials:
    """The bodies open pages re-read after each event, rendered once per view, region and
    language for what is stored now (the poller's mark), however many pages ask at once.

    Without the poller (no page open for live updates) nothing is kept. The mark moves before
    the events that moved it are published, so a page re-reading after an event never gets a
    body from before it.
    """

    LIMIT = 256

    def __init__(self) -> None:
        self._mark: Mark | None = None
        self._bodies: dict[tuple[str, ...], asyncio.Task[str]] = {}

    async def get(
        self, mark: Mark | None, key: tuple[str, ...], make: Callable[[], Awaitable[str]]
    ) -> str:
        if mark is None:
            return await make()
        if mark != self._mark or len(self._bodies) > self.LIMIT:
            self._bodies = {}
            self._mark = mark
        task = self._bodies.get(key)
        if task is None or (task.done() and task.exception() is not None):
            task = asyncio.ensure_future(make())
            self._bodies[key] = task
        return await asyncio.shield(task)
