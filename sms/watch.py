"""Is the gateway phone alive? Tell the desk when it goes silent, catch up when it returns.

Android kills background apps (battery optimisation, vendor task killers), and then the phone
stops forwarding SMS without a word (the gateway's docs, "Troubleshooting": disable battery
optimisation, keep it charging). The gateway sends `system:ping` webhooks at the interval set
in the app (`modules/ping/PingSettings.kt`, `intervalSeconds`), and every SMS is a webhook too.
During filing hours (the desk's local time), no signed webhook for `silence_after` means the
phone is down: the desk groups are told once. The first webhook after that clears it, tells
the desk, and asks the phone to deliver again what it received since shortly before it fell
silent (`POST /messages/inbox/export`); the inbound dedupe key drops what already arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sms.options import Clock, SmsHooks, SmsOptions
from sms.ports import Gateway, SendError
from storage import sms as repo

log = logging.getLogger(__name__)

# The phone's clock and the SMS centre's may differ a little from ours: ask from a bit earlier.
CATCH_UP_MARGIN = timedelta(minutes=10)


def in_watch_hours(moment: datetime, start: time, end: time, zone: str) -> bool:
    """Whether `moment` falls in [start, end) local time (a window may run past midnight)."""
    local = moment.astimezone(ZoneInfo(zone)).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end


class Watch:
    """The silence check (a background loop) and the catch-up after a return."""

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
        self._started_at = clock()
        self._never_seen_told = False
        self._task: asyncio.Task[None] | None = None
        self._catchups: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._started_at = self._clock()
        self._task = asyncio.create_task(self._run(), name="sms-watch")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._catchups) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("SMS gateway check failed")
            await asyncio.sleep(self._options.watch_seconds)

    async def check(self) -> bool:
        """Tell the desk if the gateway has been silent too long: whether it told now."""
        options, now = self._options, self._clock()
        if not in_watch_hours(now, options.watch_from, options.watch_until, options.timezone):
            return False
        async with self._sessions() as session:
            seen = await repo.gateways(session)
        if not seen:
            if self._never_seen_told or now - self._started_at < options.silence_after:
                return False
            self._never_seen_told = True
            await self._tell("sms.gateway_never_seen", minutes=self._minutes())
            return True
        latest = max(seen, key=lambda g: g.last_seen_at)
        if latest.silent_since is not None or now - latest.last_seen_at < options.silence_after:
            return False
        async with self._sessions() as session, session.begin():
            await repo.mark_silent(session, latest.device_id, now)
        await self._tell(
            "sms.gateway_silent", minutes=self._minutes(), last_seen=latest.last_seen_at
        )
        return True

    def returned(self, device_id: str, last_heard: datetime) -> None:
        """The phone spoke again after the desk was told it was silent: say so, and ask it for
        what it received since a little before it was last heard (`CATCH_UP_MARGIN`)."""
        task = asyncio.create_task(self._returned(device_id, last_heard), name="sms-catchup")
        self._catchups.add(task)
        task.add_done_callback(self._catchups.discard)

    async def _returned(self, device_id: str, last_heard: datetime) -> None:
        now = self._clock()
        since = last_heard - CATCH_UP_MARGIN
        await self._tell("sms.gateway_back", last_seen=since)
        try:
            await self._gateway.export_inbox(device_id, since, now)
        except SendError as exc:
            log.warning("SMS catch-up from %s failed: %s", device_id, exc)
            return
        async with self._sessions() as session, session.begin():
            await repo.mark_caught_up(session, device_id, now)
        log.info("SMS catch-up asked from %s for %s to %s", device_id, since, now)

    def _minutes(self) -> int:
        return int(self._options.silence_after.total_seconds() // 60)

    async def _tell(self, key: str, **values: object) -> None:
        if self._hooks.notify_desk is None:
            log.warning("SMS gateway: %s %s (no desk to tell)", key, values)
            return
        try:
            await self._hooks.notify_desk(key, dict(values))
        except Exception:
            log.exception("could not tell the desk %s", key)
