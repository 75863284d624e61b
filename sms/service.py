"""The SMS side as one object the bot builds, mounts (webhook route) and starts/stops.

Order of work for a received SMS: the webhook stores it (committed) and answers 2xx; a single
background worker then processes stored SMS one at a time (`sms.inbound`), and the sender
(`sms.outbox`) sends the answers at the gateway's pace. Only the active instance starts the
workers; a standby answers the gateway 503 so it retries later (at least once delivery).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.phone import try_normalise
from domain.sms import Envelope, Event, dedupe_key, parse_received
from sms import texts
from sms.inbound import InboundProcessor, Purpose
from sms.options import Clock, SmsHooks, SmsOptions
from sms.outbox import Sender
from sms.ports import Gateway
from sms.watch import Watch
from storage import sms as repo
from storage import sms_queue as queue

log = logging.getLogger(__name__)


class SmsService:
    """Receiving, filing, answering and watching, for one gateway configuration."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        gateway: Gateway,
        options: SmsOptions,
        hooks: SmsHooks,
        clock: Clock,
    ) -> None:
        self.sessions, self.gateway, self.options = sessions, gateway, options
        self.hooks, self.clock = hooks, clock
        self.processor = InboundProcessor(sessions, options, hooks, clock)
        self.sender = Sender(sessions, gateway, options, hooks, clock)
        self.watch = Watch(sessions, gateway, options, hooks, clock)
        self.active = False
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    async def accept(self, envelope: Envelope) -> str:
        """Store what a signed webhook carries (committed before the 2xx): what it was."""
        now = self.clock()
        event = envelope.event
        if event == Event.SMS_RECEIVED.value:
            sms = parse_received(envelope.payload)
            key = dedupe_key(sms.sender, sms.received_at, sms.text, sms.sim_number)
            async with self.sessions() as session, session.begin():
                inbound_id, new = await repo.record_inbound(
                    session,
                    sms,
                    key=key,
                    phone=try_normalise(sms.sender),
                    device_id=envelope.device_id,
                    envelope_id=envelope.id,
                    arrived_at=now,
                )
                silent = await repo.touch_gateway(session, envelope.device_id, now, sms=True)
            if new:
                self._queue.put_nowait(inbound_id)
            result = "stored" if new else "duplicate"
        else:
            ping = event == Event.SYSTEM_PING.value
            async with self.sessions() as session, session.begin():
                silent = await repo.touch_gateway(session, envelope.device_id, now, ping=ping)
            result = "noted"
        if silent is not None and self.active:
            self.watch.returned(envelope.device_id, silent)  # it had gone silent: catch up
        return result

    async def remind(self, slot_id: int, kind: str, scope: str, deadline: datetime) -> int:
        """Queue SMS reminders for one reminder slot (when enabled): how many were queued.

        Only officers with a phone whose TPS has not filed `kind` and whose TPS's current
        `sinyal` check-in says there is no signal; one per slot and person, ever.
        """
        if not self.options.reminders:
            return 0
        now = self.clock()
        if deadline <= now:
            return 0
        queued = 0
        async with self.sessions() as session, session.begin():
            for person in await queue.no_signal_officers_to_remind(session, kind, scope):
                body = texts.reminder(
                    person.language,
                    kind,
                    person.scope,
                    deadline=deadline,
                    province_code=person.scope[:2],
                )
                queued += await queue.enqueue(
                    session,
                    key=f"rem:{slot_id}:{person.person_id}",
                    phone=person.phone,
                    text=body,
                    purpose=Purpose.REMINDER,
                    now=now,
                    ttl=deadline - now,
                )
        if queued:
            self.sender.wake()
        log.info("SMS reminders for %s in %s: %d queued", kind, scope, queued)
        return queued

    async def start(self) -> None:
        """Become the active instance: process what is stored, send what is queued, watch."""
        self.active = True
        async with self.sessions() as session:
            for inbound_id in await repo.unprocessed(session, limit=10_000):
                self._queue.put_nowait(inbound_id)
        self._worker = asyncio.create_task(self._work(), name="sms-inbound")
        self.sender.start()
        self.watch.start()

    async def stop(self) -> None:
        self.active = False
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        await self.sender.stop()
        await self.watch.stop()

    async def close(self) -> None:
        await self.stop()
        await self.gateway.close()

    async def idle(self) -> None:
        """Wait until every stored SMS so far is processed (tests, and a clean stop)."""
        await self._queue.join()

    async def _work(self) -> None:
        while True:
            inbound_id = await self._queue.get()
            try:
                outcome = await self.processor.process(inbound_id)
                if outcome is not None and outcome.answer is not None:
                    self.sender.wake()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("processing SMS %s failed; it stays stored as new", inbound_id)
            finally:
                self._queue.task_done()
