"""The delivery worker: works the persisted queue within Telegram's limits.

One loop per bot (only the active instance runs it). Each turn it takes as many deliveries as
the token bucket allows, claims them in a committed transaction, and sends them concurrently;
outcomes are written back in small batches. Pacing and retry times run on real time
(Telegram's limits are real); recorded times (`sent_at`, `finished_at`) use the services clock.
A stop finishes the sends in flight and records them, so a clean restart resends nothing and
loses no one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter, TelegramError

from domain.broadcast import (
    BroadcastStatus,
    BroadcastView,
    DeliveryStatus,
    Due,
    Pace,
)
from domain.pacing import ChatPacer, TokenBucket, burst_for
from handlers.broadcast import keyboards, views
from handlers.context import Services, utc_now
from reminders.broadcast_send import judge, retry_after_seconds, send_content
from storage import broadcasts, deliveries, people
from storage.deliveries import Outcome

log = logging.getLogger(__name__)

FLUSH_EVERY = 0.2  # seconds between writes of outcomes
BACKLOG = 500
IDLE_POLL = 1.0  # seconds between looks at the queue when nothing is due


class DeliveryWorker:
    def __init__(
        self,
        bot: Bot,
        services: Services,
        pace: Pace,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = utc_now,
    ) -> None:
        self.bot, self.services, self.pace = bot, services, pace
        self._mono, self._wall = monotonic, wall
        self._bucket = TokenBucket(pace.rate, burst_for(pace.rate))
        self._chats = ChatPacer()
        self._wake = asyncio.Event()
        self._stopping = False
        self._paused_until = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: dict[int, int] = {}  # broadcast id -> sends under way
        self._outcomes: list[Outcome] = []
        self._unreachable: list[int] = []
        self._last_flush = 0.0
        self._backlog: deque[Due] = deque()
        self._content: dict[int, BroadcastView] = {}
        self._shown: dict[int, tuple[float, str]] = {}  # broadcast id -> (when, status text)
        self._task: asyncio.Task[None] | None = None
        self.rate_limited = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="broadcast-delivery")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Finish and record the sends in flight, then end the loop."""
        self._stopping = True
        self.wake()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            log.warning("broadcast worker did not stop within %.0f s; cancelling it", timeout)
            self._task.cancel()

    async def run(self) -> None:
        async with self.services.transaction() as session:
            interrupted = await deliveries.recover(session)
        if interrupted:
            log.warning("%d broadcast deliveries were cut off mid-send; not resending", interrupted)
        while not self._stopping:
            try:
                await self._turn()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("broadcast worker turn failed; trying again shortly")
                await self._nap(1.0)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._flush(force=True)

    async def _nap(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), max(0.0, seconds))
        self._wake.clear()

    # -- one turn ----------------------------------------------------------------------------

    async def _turn(self) -> None:
        now = self._mono()
        await self._flush()
        await self._report(now)
        if now < self._paused_until:
            await self._nap(min(self._paused_until - now, FLUSH_EVERY))
            return
        if len(self._tasks) >= self.pace.max_in_flight:
            await asyncio.wait(self._tasks, timeout=FLUSH_EVERY, return_when="FIRST_COMPLETED")
            return
        wait = self._bucket.wait_time(now)
        if wait > 0:
            await self._nap(min(wait, FLUSH_EVERY))
            return
        batch = await self._next_batch(now)
        if batch is None:
            await self._finish_done()
            await self._nap(FLUSH_EVERY if self._tasks or self._outcomes else IDLE_POLL)
            return
        if not batch:
            await self._nap(0.05)  # everything due waits for its chat's one-second gap
            return
        async with self.services.transaction() as session:
            won = await deliveries.claim(session, [d.id for d in batch], now=self._wall())
            for bid in {d.broadcast_id for d in batch} - set(self._content):
                found = await broadcasts.get(session, bid)
                if found is not None:
                    if found.status is BroadcastStatus.QUEUED:
                        await deliveries.set_status(
                            session, bid, BroadcastStatus.SENDING, now=self.services.clock()
                        )
                    self._content[bid] = found
                    self._shown.setdefault(bid, (now, ""))  # the sender just saw it queued
        for due in batch:
            if due.id in won:
                self._bucket.take(now)
                self._chats.note(due.telegram_id, now)
                self._in_flight[due.broadcast_id] = self._in_flight.get(due.broadcast_id, 0) + 1
                task = asyncio.create_task(self._deliver(due, self._content[due.broadcast_id]))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _next_batch(self, now: float) -> list[Due] | None:
        """As many due deliveries as tokens allow, one per chat; None when nothing is due."""
        if not self._backlog:
            async with self.services.transaction() as session:
                self._backlog.extend(await deliveries.due(session, now=self._wall(), limit=BACKLOG))
            if not self._backlog:
                return None
        room = self._bucket.available(now)
        batch: list[Due] = []
        later: list[Due] = []
        chats: set[int] = set()
        while self._backlog and len(batch) < room and len(later) < BACKLOG:
            due = self._backlog.popleft()
            if due.telegram_id in chats or self._chats.wait_time(due.telegram_id, now) > 0:
                later.append(due)
            else:
                batch.append(due)
                chats.add(due.telegram_id)
        self._backlog.extendleft(reversed(later))
        return batch

    async def _deliver(self, due: Due, b: BroadcastView) -> None:
        try:
            message = await send_content(self.bot, due.telegram_id, b, with_ack=True)
            outcome = Outcome(due.id, DeliveryStatus.SENT, message_id=message.message_id)
        except Exception as exc:
            verdict = judge(exc, due.attempts + 1)
            if verdict.pause:
                self.rate_limited += 1
                self._pause(verdict.pause)
            if verdict.unreachable:
                self._unreachable.append(due.telegram_id)
            retry_at = None
            if verdict.retry_in is not None:
                retry_at = self._wall() + timedelta(seconds=verdict.retry_in)
            level = logging.WARNING if verdict.status is DeliveryStatus.UNCERTAIN else logging.INFO
            log.log(level, "broadcast %s to %s: %s (%s)", b.id, due.telegram_id, verdict, exc)
            outcome = Outcome(
                due.id,
                verdict.status,
                error=verdict.error,
                next_attempt_at=retry_at,
                undo_attempt=bool(verdict.pause),
            )
        finally:
            self._in_flight[due.broadcast_id] -= 1
        self._outcomes.append(outcome)

    def _pause(self, seconds: float) -> None:
        log.warning("Telegram asked to wait %.0f s; broadcast delivery pauses", seconds)
        self._paused_until = max(self._paused_until, self._mono() + seconds + 0.5)
        self._backlog.clear()  # given-back rows come round again in order

    async def _flush(self, *, force: bool = False) -> None:
        now = self._mono()
        if not self._outcomes or (not force and now - self._last_flush < FLUSH_EVERY):
            return
        outcomes, self._outcomes = self._outcomes, []
        gone, self._unreachable = self._unreachable, []
        try:
            async with self.services.transaction() as session:
                await deliveries.record(session, outcomes, now=self.services.clock())
                for telegram_id in gone:
                    await people.set_reachable(session, telegram_id, False, self.services.clock())
        except Exception:
            self._outcomes[:0], self._unreachable[:0] = outcomes, gone
            raise
        self._last_flush = now
        if any(o.status is DeliveryStatus.PENDING for o in outcomes):
            self._backlog.clear()

    # -- progress ------------------------------------------------------------------------------

    async def _finish_done(self) -> None:
        """Close broadcasts with nothing left to send and show their summary."""
        if self._outcomes:
            return
        async with self.services.transaction() as session:
            running = await deliveries.active(session)
        for b in running:
            if self._in_flight.get(b.id):
                continue
            async with self.services.transaction() as session:
                tally = await deliveries.tally_of(session, b.id)
                if not tally.finished:
                    continue
                await deliveries.set_status(
                    session, b.id, BroadcastStatus.DONE, now=self.services.clock()
                )
            log.info("broadcast %s done: %s", b.id, tally)
            self._content.pop(b.id, None)
            self._in_flight.pop(b.id, None)
            await self._show(b, force=True)
            self._shown.pop(b.id, None)

    async def _report(self, now: float) -> None:
        for bid, b in list(self._content.items()):
            shown = self._shown.get(bid)
            if shown is None or now - shown[0] >= self.pace.progress_every:
                await self._show(b)

    async def _show(self, b: BroadcastView, *, force: bool = False) -> None:
        """Edit the sender's status message, if its text changed."""
        if b.status_message_id is None:
            return
        async with self.services.transaction() as session:
            tally = await deliveries.tally_of(session, b.id)
            lang = await broadcasts.sender_language(session, b.id)
            label = await views.audience_label(session, lang, b)
        body = views.progress(lang, b, label, tally)
        now = self._mono()
        previous = self._shown.get(b.id)
        self._shown[b.id] = (now, body)
        if previous is not None and previous[1] == body and not force:
            return
        markup = keyboards.status(lang, b.id) if tally.finished else None
        self._bucket.take(now)  # edits count against the bot's budget too
        try:
            await self.bot.edit_message_text(
                body, b.sender_chat, b.status_message_id, parse_mode="HTML", reply_markup=markup
            )
        except RetryAfter as exc:
            self._pause(retry_after_seconds(exc))
            if force:  # the summary must not be lost to a flood wait
                await asyncio.sleep(retry_after_seconds(exc) + 0.5)
                await self._show(b, force=True)
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return
            log.info("status message of broadcast %s is gone (%s); sending a new one", b.id, exc)
            if tally.finished:
                await self._send_summary(b, body, markup)
        except TelegramError:
            log.warning("could not update the status of broadcast %s", b.id, exc_info=True)

    async def _send_summary(
        self, b: BroadcastView, body: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        try:
            await self.bot.send_message(b.sender_chat, body, parse_mode="HTML", reply_markup=markup)
        except TelegramError:
            log.warning("could not send the summary of broadcast %s", b.id, exc_info=True)
