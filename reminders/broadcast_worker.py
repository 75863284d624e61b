"""The delivery worker: works the persisted queue within Telegram's limits.

Three loops share one worker (only the active instance runs it):

- the claimer keeps a small stock of claimed deliveries (half a second's worth):
  claimed in a committed transaction, so a slow disk or a busy database never stalls sending;
- the sender takes them at the pace of their lane (`reminders.broadcast_lanes`: the free
  lane's token bucket, never more than `rate` in any one second; a paid broadcast's lane at
  the paid pace with `allow_paid_broadcast`), one per chat at a time, and sends each in
  its own task;
- the bookkeeper writes outcomes back in small batches, edits the senders' status messages,
  and closes broadcasts with nothing left to send.

Pacing and retry times run on real time (Telegram's limits are real); recorded times
(`sent_at`, `finished_at`) use the services clock. A stop finishes and records the sends in
flight and gives unsent claims back, so a clean restart resends nothing and loses no one; a
crash leaves at most the stock and the sends in flight as `uncertain` (never resent).

Paid broadcasts: when Telegram refuses a paid send because the bot's Stars ran out, that send
is given back untried, the broadcast is marked (`stars_out_at`, audited) and its sender told,
and everything left of it goes through the free lane without `allow_paid_broadcast`: nobody
is left out, it only takes longer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from prometheus_client import Counter
from telegram import Bot, Message

from domain.broadcast import (
    STAR_TENTHS_PER_MESSAGE,
    BroadcastStatus,
    BroadcastView,
    DeliveryStatus,
    Due,
    Pace,
)
from domain.outbox import Priority
from domain.pacing import ChatPacer
from outbox import messages
from outbox.judge import Fate, judge, stars_ran_out
from outbox.limiter import Limiter
from reminders.broadcast_lanes import Lane
from reminders.broadcast_progress import Progress
from services import Services, utc_now
from storage import broadcasts, deliveries, people
from storage.deliveries import Outcome
from storage.outbox import Bots
from views import broadcast_keyboards as keyboards
from views.texts import text

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

PAID_SENT = Counter(
    "deskbot_broadcast_paid_messages_total",
    "Broadcast messages sent paid (allow_paid_broadcast: 0.1 Telegram Star each)",
)
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
        # Counted from when a request leaves (`_depart`) until a second after the latest it
        # can have arrived, known from its answer (`_deliver`): Telegram counts arrivals.
        self._free = Lane(pace.rate)
        self._paid = Lane(pace.paid_rate, paid=True)
        self._stars_out: set[int] = set()  # paid broadcasts whose Stars ran out: free lane now
        self._stars_news: list[int] = []  # ... not yet noted, audited and told to the sender
        self._paid_in_flight = 0  # paid requests on their way: the count told waits for them
        self._chats = ChatPacer()
        self._progress = Progress(bot, services, every=pace.progress_every, monotonic=monotonic)
        # The one limiter all the bot's sends share (the sender's); broadcasts go last.
        self._limiter = limiter or services.out.limiter
        self._free_depth = max(4, math.ceil(pace.rate * STOCK_SECONDS))
        self._paid_depth = max(4, math.ceil(pace.paid_rate * STOCK_SECONDS))
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

    def _lane(self, bid: int) -> Lane:
        """The paid lane for a paid broadcast whose Stars have not run out; else the free one."""
        b = self._content.get(bid)
        if b is not None and b.paid and b.stars_out_at is None and bid not in self._stars_out:
            return self._paid
        return self._free

    @property
    def _depth(self) -> int:
        """Deliveries to keep claimed: half a second's worth at the fastest lane in use."""
        if any(self._lane(bid).paid for bid in self._content):
            return self._paid_depth
        return self._free_depth

    async def _depart(self, chat_id: int, lane: Lane) -> float:
        """Wait until this send may leave, then count it against its lane (until a second
        after the latest it can have arrived, `Lane.answered`) and (free sends) the bot's one
        limiter as it leaves (not when it was picked: the issue's 26-28 a second); returns
        when it left. Paid sends are not held to the bulk cap (Telegram: "ignoring
        broadcasting limits"), so only their chat is noted in the limiter."""
        async with lane.departures:
            while True:
                now = self._mono()
                wait = lane.departure_wait(now)
                if not lane.paid:
                    wait = max(wait, self._limiter.departure_wait(now))
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            left_at = lane.left(now)
            if lane.paid:
                self._limiter.chats.note(chat_id, now)
            else:
                self._limiter.note(chat_id, proactive=True, now=now)
            return left_at

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
        free_wait = max(
            self._free.pick_wait(now), self._limiter.wait_time(0, proactive=True, now=now)
        )
        if self._limiter.waiting:  # reminders, digests, alerts waiting: they go first
            free_wait = max(free_wait, 0.02)
        paid_wait = self._paid.pick_wait(now)
        waits = {False: free_wait, True: paid_wait}  # by lane: paid or not
        ready = {paid for paid, wait in waits.items() if wait <= 0}
        due = self._take(now, ready) if ready else None
        if due is None:
            wanted = [waits[self._lane(d.broadcast_id).paid] for d in self._stock]
            if wanted and min(wanted) > 0:
                await asyncio.sleep(min(wanted))
            else:
                await self._wait(self._stocked, 0.05 if self._stock else IDLE_POLL)
            return
        lane = self._lane(due.broadcast_id)
        lane.pick(now)
        self._chats.note(due.telegram_id, now)
        task = asyncio.create_task(self._deliver(due, self._content[due.broadcast_id], lane))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._wanted.set()

    def _take(self, now: float, ready: set[bool]) -> Due | None:
        """The first stocked delivery whose lane (paid or not, in `ready`) may send now and
        whose chat may get a message now."""
        for index, due in enumerate(self._stock):
            if (
                self._lane(due.broadcast_id).paid in ready
                and self._chats.wait_time(due.telegram_id, now) <= 0
                and self._limiter.blocked.get(due.telegram_id, 0.0) <= now
            ):
                del self._stock[index]
                return due
        return None

    async def _deliver(self, due: Due, b: BroadcastView, lane: Lane) -> None:
        left_at = await self._depart(due.telegram_id, lane)
        if lane.paid and not self._lane(b.id).paid:
            # The Stars ran out while it waited at the paid pace: it goes free, so it leaves
            # at the free pace and under the bulk cap like every free send (not 900 a second).
            lane.withdrawn()
            lane = self._free
            lane.pick(self._mono())
            left_at = await self._depart(due.telegram_id, lane)
        paid = lane.paid
        self._paid_in_flight += paid
        try:
            try:
                message = await send_content(self.bot, due.telegram_id, b, with_ack=True, paid=paid)
            finally:
                lane.answered(self._mono(), left_at)
            outcome = Outcome(due.id, DeliveryStatus.SENT, message_id=message.message_id, paid=paid)
            self._paid_in_flight -= paid
            if paid:
                PAID_SENT.inc()
        except Exception as exc:
            self._paid_in_flight -= paid
            if paid and stars_ran_out(exc):
                # Not sent, nothing drawn: given back untried, it goes again at the free pace.
                log.info("broadcast %s: the bot's Stars ran out (%s)", b.id, exc)
                if b.id not in self._stars_out:
                    self._stars_out.add(b.id)
                    self._stars_news.append(b.id)
                self._outcomes.append(Outcome(due.id, DeliveryStatus.PENDING, undo_attempt=True))
                return
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
        await self._tell_stars_out()
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

    async def _tell_stars_out(self) -> None:
        """Note, audit and tell the sender that a paid broadcast's Stars ran out (once each),
        once the paid requests still on their way came back and were recorded: the count told
        is the number that went out paid."""
        if self._paid_in_flight or self._outcomes:
            return
        news, self._stars_news = self._stars_news, []
        for bid in news:
            now = self.services.clock()
            async with self.services.transaction() as session:
                first = await broadcasts.stars_ran_out(session, bid, now=now)
                tally = await deliveries.tally_of(session, bid)
                lang = await broadcasts.sender_language(session, bid)
                fresh = await broadcasts.get(session, bid)
                left = tally.pending + tally.sending
                if first:
                    await people.audit(
                        session,
                        actor_id=None,
                        actor_label="bot",
                        action="broadcast_stars_out",
                        now=now,
                        detail={
                            "broadcast": bid,
                            "paid_sent": tally.paid,
                            "stars_spent": tally.paid * STAR_TENTHS_PER_MESSAGE / 10,
                            "left_at_free_pace": left,
                        },
                    )
            if fresh is None:
                continue
            if bid in self._content:
                self._content[bid] = replace(self._content[bid], stars_out_at=fresh.stars_out_at)
            if not first:
                continue
            body = text(lang, "broadcast.stars_out", id=bid, paid=tally.paid, left=left)
            calls = messages.text_message(
                fresh.sender_chat,
                body,
                priority=Priority.REMINDER,
                proactive=True,
                key=f"broadcast:{bid}:stars_out",
            )
            await self.services.out.send(*calls, wait=False)

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


async def send_content(
    bot: Bot, chat_id: int, b: BroadcastView, *, with_ack: bool, paid: bool = False
) -> Message:
    """Send the broadcast as recipients see it; `paid`: with `allow_paid_broadcast` (Telegram
    draws 0.1 Star from the bot's balance for it and lets up to 1000 a second through). Only
    the delivery worker calls this: its own queue (`broadcast_delivery`) claims each send
    before it and records it after."""
    markup = keyboards.ack(b.id) if with_ack else None
    allow_paid = True if paid else None  # None: left out of the request, as before
    if b.media_type == "photo" and b.media_file_id:
        return await bot.send_photo(
            chat_id,
            b.media_file_id,
            caption=b.text or None,
            parse_mode="HTML",
            reply_markup=markup,
            allow_paid_broadcast=allow_paid,
        )
    if b.media_type == "document" and b.media_file_id:
        return await bot.send_document(
            chat_id,
            b.media_file_id,
            caption=b.text or None,
            parse_mode="HTML",
            reply_markup=markup,
            allow_paid_broadcast=allow_paid,
        )
    return await bot.send_message(
        chat_id, b.text, parse_mode="HTML", reply_markup=markup, allow_paid_broadcast=allow_paid
    )
