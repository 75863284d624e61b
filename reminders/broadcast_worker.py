"""The delivery worker: works the persisted queue within Telegram's limits.

Three loops share one worker (only the active instance runs it):

- the claimer keeps a small stock of claimed deliveries (half a second's worth):
  claimed in a committed transaction, so a slow disk or a busy database never stalls sending;
- the sender takes them at the pace (a token bucket, and never more than `rate` in any one
  second), one per chat at a time, and sends each in
  its own task;
- the bookkeeper writes outcomes back in small batches, edits the senders' status messages,
  and closes broadcasts with nothing left to send.

Pacing and retry times run on real time (Telegram's limits are real); recorded times
(`sent_at`, `finished_at`) use the services clock. A stop finishes and records the sends in
flight and gives unsent claims back, so a clean restart resends nothing and loses no one; a
crash leaves at most the stock and the sends in flight as `uncertain` (never resent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from telegram import Bot, Message

from domain.broadcast import BroadcastStatus, BroadcastView, DeliveryStatus, Due, Pace
from domain.pacing import ChatPacer, SlidingWindow, TokenBucket, burst_for
from outbox.judge import Fate, judge
from outbox.limiter import Limiter
from reminders.broadcast_progress import Progress
from services import Services, utc_now
from storage import broadcasts, deliveries, people
from storage.deliveries import Outcome
from storage.outbox import Bots
from views import broadcast_keyboards as keyboards

log = logging.getLogger(__name__)

# What each fate of a failed send means for a broadcast delivery (PENDING: try again).
_STATUS = {
    Fate.DONE: DeliveryStatus.SENT,
    Fate.FLOOD: DeliveryStatus.PENDING,
    Fate.RETRY: DeliveryStatus.PENDING,
    Fate.MOVED: DeliveryStatus.FAILED,  # broadcasts go to people, not groups
    Fate.UNREACHABLE: DeliveryStatus.BLOCKED,
    Fate.FAILED: DeliveryStatus.FAILED,
    Fate.UNCERTAIN: DeliveryStatus.UNCERTAIN,
}

# A broadcast's pace counted over 1.1 s: its requests leave evenly, but arrive with the
# network's and the event loop's jitter, and Telegram counts arrivals.
BROADCAST_WINDOW_SPAN = 1.1
CATCH_UP = 2  # sends a late departure may make up at once
FLUSH_EVERY = 0.5  # seconds between writes of outcomes
STOCK_SECONDS = 0.5  # claimed ahead of sending; topped up when half of it is gone
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
        limiter: Limiter | None = None,
        bots: Bots = None,
    ) -> None:
        """One worker per bot of the desk this process holds: `bot` sends, `bots` says whose
        deliveries it takes (`storage.outbox.Bots`; None: all, a one-bot desk), `limiter` is
        that bot's sender's (default: the first bot's)."""
        self.bot, self.services, self.pace = bot, services, pace
        self.bots = bots
        # The status message is the first bot's worker's to edit (the others would edit it too,
        # each with its own idea of when): the first bot's rows include those with no bot.
        self.shows_progress = bots is None or None in bots
        self._mono, self._wall = monotonic, wall
        self._bucket = TokenBucket(pace.rate, burst_for(pace.rate))
        # Counted when a request leaves (`_depart`), over a window a little over a second:
        # Telegram counts arrivals, and requests leave a little jittered.
        self._window = SlidingWindow(max(1, math.floor(pace.rate)), BROADCAST_WINDOW_SPAN)
        self._reserved = 0  # sends picked whose request has not left yet
        # ... and evenly spaced within it: a window filled in a burst lets a stalled arrival
        # land in the next second beside a whole window's worth (26 in a second, seen under load).
        self._spacing = BROADCAST_WINDOW_SPAN / self._window.limit
        self._next_departure = 0.0
        self._departures = asyncio.Lock()
        self._chats = ChatPacer()
        self._progress = Progress(bot, services, every=pace.progress_every, monotonic=monotonic)
        # The one limiter all the bot's sends share (the sender's); broadcasts go last.
        self._limiter = limiter or services.out.limiter
        self._depth = max(4, math.ceil(pace.rate * STOCK_SECONDS))
        self._stock: deque[Due] = deque()
        self._backlog: deque[Due] = deque()
        self._content: dict[int, BroadcastView] = {}
        self._last_check = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._outcomes: list[Outcome] = []
        self._unreachable: list[int] = []
        self._paused_until = 0.0
        self._stopping = False
        self._stocked = asyncio.Event()  # the claimer added to the stock
        self._wanted = asyncio.Event()  # the sender took from the stock, or there is news
        self._task: asyncio.Task[None] | None = None
        self.rate_limited = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        # Telegram counts the last second of sends, including those of an instance that just
        # stopped (a restart, a takeover): wait that second out before the first send.
        self._paused_until = self._mono() + 1.0
        self._task = asyncio.create_task(self.run(), name="broadcast-delivery")

    def wake(self) -> None:
        """New work was queued: look at once instead of at the next poll."""
        self._wanted.set()

    async def stop(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Finish and record the sends in flight, give the stock back, then end."""
        self._stopping = True
        self._wanted.set()
        self._stocked.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            log.warning("broadcast worker did not stop within %.0f s; cancelling it", timeout)
            self._task.cancel()

    async def run(self) -> None:
        async with self.services.transaction() as session:
            interrupted = await deliveries.recover(session, bots=self.bots)
        if interrupted:
            log.warning("%d broadcast deliveries were cut off mid-send; not resending", interrupted)
        # The helpers are never cancelled: a claim cut off after its commit would strand rows.
        helpers = [
            asyncio.create_task(self._guard(self._claim_turn)),
            asyncio.create_task(self._guard(self._book_turn)),
        ]
        await self._guard(self._send_turn)
        await asyncio.gather(*helpers, return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._outcomes += [
            Outcome(d.id, DeliveryStatus.PENDING, undo_attempt=True) for d in self._stock
        ]
        self._stock.clear()
        await self._flush()

    async def _guard(self, turn: Callable[[], object]) -> None:
        """Run `turn` until stopping; a failing turn is logged and tried again shortly."""
        while not self._stopping:
            try:
                await turn()  # type: ignore[misc]
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("broadcast worker: %s failed; trying again", turn)
                await asyncio.sleep(1.0)

    @staticmethod
    async def _wait(event: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(0.0, seconds))
        event.clear()

    def _room(self, now: float) -> float:
        """Seconds until the window has room for one more beside the picked ones."""
        self._window.wait_time(now)  # drops what left the window
        taken = len(self._window.times) + self._reserved
        if taken < self._window.limit:
            return 0.0
        index = taken - self._window.limit
        if index >= len(self._window.times):
            return 1.0 / self.pace.rate
        return self._window.times[index] + self._window.span - now

    async def _depart(self, chat_id: int) -> None:
        """Wait until this send may leave, then count it against the broadcast's pace and the
        bot's one limiter as it leaves (not when it was picked: the issue's 26-28 a second)."""
        async with self._departures:
            while True:
                now = self._mono()
                wait = max(
                    self._window.wait_time(now),
                    self._limiter.departure_wait(now),
                    self._next_departure - now,
                )
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            # Spaced from when the previous one was due, not from when the loop woke up: a
            # late wake-up (a busy event loop oversleeps) is made up, at most CATCH_UP sends
            # back to back, so the pace holds on average and the window still caps any second.
            earliest = now - CATCH_UP * self._spacing
            self._next_departure = max(self._next_departure, earliest) + self._spacing
            self._window.note(now)
            self._reserved = max(0, self._reserved - 1)
            self._limiter.note(chat_id, proactive=True, now=now)

    def _pause(self, seconds: float) -> None:
        log.warning("Telegram asked to wait %.0f s; broadcast delivery pauses", seconds)
        self._paused_until = max(self._paused_until, self._mono() + seconds + 0.5)

    # -- sending -------------------------------------------------------------------------------

    async def _send_turn(self) -> None:
        now = self._mono()
        if now < self._paused_until:
            await self._wait(self._stocked, self._paused_until - now)
            return
        if len(self._tasks) >= self.pace.max_in_flight:
            await asyncio.wait(self._tasks, timeout=FLUSH_EVERY, return_when="FIRST_COMPLETED")
            return
        wait = max(
            self._bucket.wait_time(now),
            self._room(now),
            self._limiter.wait_time(0, proactive=True, now=now),
        )
        if self._limiter.waiting:  # reminders, digests, alerts waiting: they go first
            wait = max(wait, 0.02)
        if wait > 0:
            await asyncio.sleep(wait)
            return
        due = self._take(now)
        if due is None:
            await self._wait(self._stocked, 0.05 if self._stock else IDLE_POLL)
            return
        self._bucket.take(now)
        self._reserved += 1
        self._chats.note(due.telegram_id, now)
        task = asyncio.create_task(self._deliver(due, self._content[due.broadcast_id]))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._wanted.set()

    def _take(self, now: float) -> Due | None:
        """The first stocked delivery whose chat may get a message now."""
        for index, due in enumerate(self._stock):
            if (
                self._chats.wait_time(due.telegram_id, now) <= 0
                and self._limiter.blocked.get(due.telegram_id, 0.0) <= now
            ):
                del self._stock[index]
                return due
        return None

    async def _deliver(self, due: Due, b: BroadcastView) -> None:
        await self._depart(due.telegram_id)
        try:
            message = await send_content(self.bot, due.telegram_id, b, with_ack=True)
            outcome = Outcome(due.id, DeliveryStatus.SENT, message_id=message.message_id)
        except Exception as exc:
            verdict = judge(exc, due.attempts + 1)
            status = _STATUS[verdict.fate]
            if verdict.fate is Fate.FLOOD:
                self.rate_limited += 1
                self._pause(verdict.pause)
                self._limiter.flooded(
                    due.telegram_id, verdict.pause, proactive=True, now=self._mono()
                )
            if verdict.fate is Fate.UNREACHABLE:
                self._unreachable.append(due.telegram_id)
            retry_at = None
            if verdict.retry_in is not None:
                retry_at = self._wall() + timedelta(seconds=verdict.retry_in)
            level = logging.WARNING if status is DeliveryStatus.UNCERTAIN else logging.INFO
            log.log(level, "broadcast %s to %s: %s (%s)", b.id, due.telegram_id, verdict, exc)
            outcome = Outcome(
                due.id,
                status,
                error=verdict.error,
                next_attempt_at=retry_at,
                undo_attempt=verdict.fate is Fate.FLOOD,
            )
        self._outcomes.append(outcome)

    # -- claiming ------------------------------------------------------------------------------

    async def _claim_turn(self) -> None:
        want = self._depth - len(self._stock)
        if len(self._stock) > self._depth // 2 or self._mono() < self._paused_until:
            await self._wait(self._wanted, IDLE_POLL)
            return
        if not self._backlog:
            async with self.services.transaction() as session:
                found = await deliveries.due(
                    session, now=self._wall(), limit=BACKLOG, bots=self.bots
                )
            self._backlog.extend(found)
            if not found:
                await self._wait(self._wanted, IDLE_POLL)
                return
        batch = [self._backlog.popleft() for _ in range(min(want, len(self._backlog)))]
        async with self.services.transaction() as session:
            won = await deliveries.claim(session, [d.id for d in batch], now=self._wall())
            for bid in {d.broadcast_id for d in batch} - set(self._content):
                found_b = await broadcasts.get(session, bid)
                if found_b is not None and found_b.status is BroadcastStatus.QUEUED:
                    await deliveries.set_status(
                        session, bid, BroadcastStatus.SENDING, now=self.services.clock()
                    )
                if found_b is not None:
                    self._content[bid] = found_b
                    self._progress.started(bid)
        self._stock.extend(due for due in batch if due.id in won)
        self._stocked.set()

    # -- bookkeeping ---------------------------------------------------------------------------

    async def _book_turn(self) -> None:
        await asyncio.sleep(FLUSH_EVERY)
        await self._flush()
        if self.shows_progress:
            await self._progress.tick(list(self._content.values()))
        now = self._mono()
        # While sending, look for finished broadcasts often; when idle, now and then (one
        # resumed after a crash may have nothing left to send).
        busy = bool(self._content) and not self._stock and not self._backlog
        if now - self._last_check >= (FLUSH_EVERY if busy else IDLE_POLL * 2):
            self._last_check = now
            await self._finish_done()

    async def _flush(self) -> None:
        if not self._outcomes:
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
        if any(o.status is DeliveryStatus.PENDING for o in outcomes):
            self._wanted.set()  # given-back rows come round again

    async def _finish_done(self) -> None:
        """Close broadcasts with nothing pending or claimed, and show their summary."""
        async with self.services.transaction() as session:
            running = await deliveries.active(session)
        for b in running:
            async with self.services.transaction() as session:
                tally = await deliveries.tally_of(session, b.id)
                if not tally.finished:
                    continue
                if not await deliveries.set_status(
                    session, b.id, BroadcastStatus.DONE, now=self.services.clock()
                ):
                    self._content.pop(b.id, None)  # another bot's worker finished it
                    continue
            log.info("broadcast %s done: %s", b.id, tally)
            self._content.pop(b.id, None)
            await self._progress.show(b, final=True)  # keyed: shown once, whichever worker


async def send_content(bot: Bot, chat_id: int, b: BroadcastView, *, with_ack: bool) -> Message:
    """Send the broadcast as recipients see it. Only the delivery worker calls this: its own
    queue (`broadcast_delivery`) claims each send before it and records it after."""
    markup = keyboards.ack(b.id) if with_ack else None
    if b.media_type == "photo" and b.media_file_id:
        return await bot.send_photo(
            chat_id, b.media_file_id, caption=b.text or None, parse_mode="HTML", reply_markup=markup
        )
    if b.media_type == "document" and b.media_file_id:
        return await bot.send_document(
            chat_id, b.media_file_id, caption=b.text or None, parse_mode="HTML", reply_markup=markup
        )
    return await bot.send_message(chat_id, b.text, parse_mode="HTML", reply_markup=markup)
