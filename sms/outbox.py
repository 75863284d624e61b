"""The SMS sender: one loop draining `sms_outbound` through the gateway, paced, at most once.

- Pace: at most `per_minute` SMS in any 60 seconds of the desk's clock (a sliding window, as
  `domain.pacing`). Android lets an app send about 30 SMS parts a minute and then stalls or
  asks the user (`SMS_OUTGOING_CHECK_MAX_COUNT`, 30 per 30 minutes on older Android); every
  SMS here is one part, and the default 10 a minute leaves room for the phone's own traffic.
- At most once: a row is claimed in its own transaction before the gateway call and its
  outcome recorded after. The gateway gets our row id as its message `id`, so a retry after a
  lost answer meets 409 (already there) instead of a second SMS. A crash between claim and
  record leaves the row `claimed`: not sent again automatically.
- Time-to-live: a row not sent before `not_after` expires (a receipt two hours late only
  confuses); the phone is given the remaining seconds as `ttl` too.
- Retries: a transient refusal (network, 5xx, 401/403 while the phone is being set up) is
  retried after `retry_after` * 2^(attempt-1), while attempts and time-to-live allow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.pacing import SlidingWindow
from sms.options import Clock, SmsHooks, SmsOptions
from sms.ports import Gateway, SendError
from storage import sms_queue as repo
from storage.models.sms import OutboundState

log = logging.getLogger(__name__)


class Sender:
    """Drains the queue in the background until stopped."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        gateway: Gateway,
        options: SmsOptions,
        hooks: SmsHooks,
        clock: Clock,
    ) -> None:
        self._sessions, self._gateway = sessions, gateway
        self._options, self._hooks, self._clock = options, hooks, clock
        self._window = SlidingWindow(limit=options.per_minute, span=60.0)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sms-sender")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                sent = await self.turn()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("SMS sender turn failed; trying again")
                sent = False
            if not sent:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._options.tick_seconds)

    async def turn(self) -> bool:
        """Send the next due SMS if the pace allows: whether one was handed to the gateway."""
        now = self._clock()
        if self._window.wait_time(now.timestamp()) > 0:
            return False
        async with self._sessions() as session, session.begin():
            item = await repo.claim_next(session, now)
        if item is None:
            return False
        self._window.note(now.timestamp())
        ttl = int((item.not_after - now).total_seconds())
        try:
            gateway_id = await self._gateway.send(
                f"desk-{item.id}", item.phone, item.text, ttl_seconds=ttl
            )
        except SendError as exc:
            await self._refused(item, exc)
            return True
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or an unexpected answer: treat as uncertain, not resend
            log.exception("SMS %s: unexpected error from the gateway", item.id)
            await self._record(item.id, OutboundState.FAILED, error=type(exc).__name__)
            self._hooks.count(item.purpose, "failed")
            return True
        await self._record(item.id, OutboundState.SENT, gateway_id=gateway_id)
        self._hooks.count(item.purpose, "sent")
        log.info("SMS %s (%s) handed to the gateway", item.id, item.purpose)
        return True

    async def _refused(self, item: repo.Outgoing, exc: SendError) -> None:
        now = self._clock()
        delay = self._options.retry_after * (2 ** (item.attempts - 1))
        retry_at = now + min(delay, timedelta(minutes=30))
        if (
            exc.transient
            and item.attempts < self._options.max_attempts
            and retry_at < item.not_after
        ):
            await self._record(item.id, OutboundState.QUEUED, error=str(exc), retry_at=retry_at)
            self._hooks.count(item.purpose, "retry")
            log.warning("SMS %s: %s; retrying at %s", item.id, exc, retry_at.isoformat())
            return
        await self._record(item.id, OutboundState.FAILED, error=str(exc))
        self._hooks.count(item.purpose, "failed")
        log.warning("SMS %s: %s; giving up", item.id, exc)

    async def _record(self, outbound_id: int, state: OutboundState, **values: object) -> None:
        async with self._sessions() as session, session.begin():
            await repo.record_outcome(
                session,
                outbound_id,
                state=state,
                now=self._clock(),
                **values,  # type: ignore[arg-type]
            )
