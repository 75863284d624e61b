"""The sender: the one door out. Every call the bot owes leaves from here, once.

A call is queued as an outbox row (`storage.outbox`), in the transaction of the change that
causes it where there is one (a check-in and its receipt commit together). Then:

1. answers (`proactive=False`) go straight into memory and are tried at once; proactive rows
   are read from the table in priority order, a small stock at a time;
2. the dispatcher takes the most urgent call that the limiter (`outbox.limiter`) lets leave
   now, one call per chat at a time (so parts of a long text arrive in order), claims a batch
   of them (`pending` -> `sending`, committed, together with outcomes not yet written) and
   starts each request;
3. outcomes are written in batches. A passing refusal (429, 5xx, network) gives the row back
   with a time to try again (429: Telegram's `retry_after`), until it is no longer useful;
   a permanent one is acted on (403: the person or group is unreachable; a group upgraded to a
   supergroup: the desk group moves and the call goes to the new id; a forum topic closed or
   deleted: the call goes to the group's General topic, with a warning in the log).

Crash points: before the claim commits, the row is pending and is sent after the restart;
after it, the row is `sending` and becomes `uncertain` at the restart (`storage.outbox.recover`):
it may have arrived, so it is never sent again. Nothing is sent twice.

Times: the limiter runs on the monotonic clock (Telegram's limits are real time); usefulness and
`not_before` use the services' clock, like every stored time.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InputFile
from telegram.error import TelegramError
from telegram.warnings import PTBUserWarning

from domain.outbox import Outgoing, OutStatus
from outbox.judge import Fate, judge
from outbox.limiter import Limiter
from outbox.outcomes import Result, outcome_of
from outbox.recovery import PROBE_EVERY, PROBE_TIMEOUT, Recovery
from storage import outbox as rows
from storage.outbox import Outcome, Queued

log = logging.getLogger(__name__)

OUTCOMES = Counter(
    "deskbot_outbox_calls_total",
    "Bot API calls the sender finished, by bot (its numeric id) and outcome",
    ["bot", "outcome"],
)

Clock = Callable[[], datetime]
ChatHook = Callable[[int, str], Awaitable[None]]  # chat id, Telegram's reason
MoveHook = Callable[[int, int], Awaitable[None]]

STOCK = 200  # proactive rows held in memory at once
POLL_SECONDS = 0.5
FLUSH_SECONDS = 0.05
RETRY_CAP_SECONDS = 30.0
MAX_IN_FLIGHT = 64  # requests on their way at once (about 640/s at Telegram's ~0.1 s a call)
# Rows claimed by one transaction. A kill between the claim and the requests leaving makes them
# `uncertain` (never sent, never sent twice): a small batch keeps that window to a few calls,
# at the price of a claim transaction per BATCH calls in a burst (about 1 ms each on SQLite).
BATCH = 16
# Answers queued already claimed (no claim transaction: the quiet path's receipt leaves straight
# after the check-in's commit) while fewer than this many calls are in flight or on their way:
# a kill leaves at most about this many rows `uncertain` that had not left yet.
PRECLAIM_LIMIT = 4
PRECLAIM_FORGET_SECONDS = 5.0  # a queued-claimed answer whose transaction rolled back


@dataclass(order=True)
class _Entry:
    priority: int
    seq: int  # the row id: within a priority, first queued first sent
    ready_at: float = field(compare=False)
    item: Queued = field(compare=False)


class Sender:
    """Queue, pace, send, retry and record every Bot API call that carries a message."""

    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Clock,
        limiter: Limiter | None = None,
        on_unreachable: ChatHook | None = None,
        on_moved: MoveHook | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        bot_id: int | None = None,
        serves: rows.Bots = None,
    ) -> None:
        """`bot_id`: the desk's bot this sender's calls leave through (stamped on the rows it
        queues); `serves`: whose rows it takes from the table (`storage.outbox.Bots`; None:
        all, a one-bot desk)."""
        self.bot, self.sessions, self.clock = bot, sessions, clock
        self.bot_id, self.serves = bot_id, serves
        self.limiter = limiter or Limiter()
        self.on_unreachable, self.on_moved = on_unreachable, on_moved
        self._mono = monotonic
        self._ready: list[_Entry] = []
        self._later: list[tuple[float, int, Queued]] = []  # (ready at, seq, row): retries
        self.recovery = Recovery()  # retries after a passing fault go once Telegram is back
        self._known: set[int] = set()
        self._busy: set[int] = set()  # chats with a call in flight
        self._paced: set[int] = set()  # picked rows counted under the bulk cap when they leave
        self._preclaims: list[float] = []  # when answers were queued claimed, not yet released
        self._departures = asyncio.Lock()
        self._waiters: dict[int, asyncio.Future[Result]] = {}
        self._outcomes: list[Outcome] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._poll = asyncio.Event()
        self._halt = asyncio.Event()  # set by `stop`
        self._loops: list[asyncio.Task[None]] = []
        self._stopping = False
        self.sent_count = 0
        self.flood_count = 0
        self.preclaimed_count = 0  # answers queued already claimed (no claim transaction)
        # The calls are made by name with Bot API parameters (they are stored that way); PTB
        # asks to prefer its typed methods, which cannot be replayed from a row.
        warnings.filterwarnings("ignore", "Please use 'Bot", PTBUserWarning, __name__)

    # -- queueing -------------------------------------------------------------------------------

    async def queue(self, session: AsyncSession, items: Sequence[Outgoing]) -> list[Queued]:
        """Queue calls in the caller's transaction; call `release` with the result after it
        commits. Keyed calls queued before are left out.

        An answer that could leave at once (the sender running and nearly idle, nothing of its
        chat waiting, replies not held back) is queued already claimed, so it leaves after the
        commit without a claim transaction of its own.
        """
        now = self._mono()
        chosen: set[int] = set()

        def claim_now(item: Outgoing) -> bool:
            if not self._may_claim_now(item, now, chosen):
                return False
            chosen.add(item.chat_id)
            self._preclaims.append(now)
            self.preclaimed_count += 1
            return True

        for item in items:
            if item.bot_id is None:
                item.bot_id = self.bot_id
        return await rows.enqueue(session, items, now=self.clock(), claim=claim_now)

    def _may_claim_now(self, item: Outgoing, now: float, chosen: set[int]) -> bool:
        """Whether an answer may be queued claimed: it would leave at once."""
        if item.proactive or self._stopping or not self._loops:
            return False
        chat = item.chat_id
        if chat in self._busy or chat in chosen:
            return False
        self._preclaims = [t for t in self._preclaims if now - t < PRECLAIM_FORGET_SECONDS]
        if len(self._tasks) + len(self._preclaims) >= PRECLAIM_LIMIT:
            return False
        if self.limiter.paced(proactive=False, now=now):
            return False
        if self.limiter.wait_time(chat, proactive=False, now=now) > 0:
            return False
        return not any(e.item.chat_id == chat for e in self._ready) and not any(
            later.chat_id == chat for _, _, later in self._later
        )

    def release(self, queued: Sequence[Queued]) -> list[asyncio.Future[Result]]:
        """After the commit: answers are tried at once; proactive rows wait their turn."""
        futures = []
        loop = asyncio.get_running_loop()
        for item in queued:
            if item.claimed and self._preclaims:
                self._preclaims.pop(0)
            if item.claimed and (self._stopping or not self._loops):
                # Stopping: give it back, written by the stop's last flush.
                self._outcomes.append(Outcome(item.id, OutStatus.PENDING, undo_attempt=True))
                continue
            if item.proactive or self._stopping or not self._loops:
                self._poll.set()
                continue
            future: asyncio.Future[Result] = loop.create_future()
            self._waiters[item.id] = future
            futures.append(future)
            self._push(item, self._mono())
        return futures

    async def send(self, *items: Outgoing, wait: bool = True) -> list[Result]:
        """Queue calls in a transaction of their own and, for answers, wait for the first try.

        Returns one `Result` per call that was queued now (keyed duplicates are left out): SENT
        with the message id, or PENDING when it will be tried again later (it is not lost).
        """
        async with self.sessions() as session, session.begin():
            queued = await self.queue(session, items)
        futures = self.release(queued)
        if not wait or not futures:
            return [Result(OutStatus.PENDING) for _ in queued]
        return list(await asyncio.gather(*futures))

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Mark calls cut off by a crash `uncertain`, then start sending."""
        async with self.sessions() as session, session.begin():
            cut_off = await rows.recover(session, now=self.clock(), bots=self.serves)
        if cut_off:
            log.warning("%d call(s) were cut off mid-send by a stop; not resending them", cut_off)
        self._stopping = False
        self._halt.clear()
        self._loops = [
            asyncio.create_task(self._guard(self._dispatch_turn), name="sender-dispatch"),
            asyncio.create_task(self._guard(self._poll_turn), name="sender-poll"),
            asyncio.create_task(self._guard(self._flush_turn), name="sender-flush"),
            asyncio.create_task(self._guard(self._recovery_turn), name="sender-recovery"),
        ]
        self._poll.set()

    async def stop(self, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        """Finish and record the calls in flight; the rest stays queued for the next start."""
        self._stopping = True
        self._halt.set()
        self._wake.set()
        self._poll.set()
        # Let each loop finish its turn (cancelling one inside a transaction can leave SQLite's
        # write lock held by a connection nobody returns); cancel only what hangs.
        if self._loops:
            _, hanging = await asyncio.wait(self._loops, timeout=5)
            for task in hanging:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._loops = []
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        await self._flush()
        for future in self._waiters.values():
            if not future.done():
                future.set_result(Result(OutStatus.PENDING))
        self._waiters.clear()
        self._ready.clear()
        self._later.clear()
        self._known.clear()

    def idle(self) -> bool:
        """Nothing in memory: no call ready, waiting to retry, in flight or unrecorded."""
        return not (self._ready or self._later or self._tasks or self._outcomes or self._known)

    async def quiet(self) -> bool:
        """Idle, and no row in the table that could be sent now (queued by anyone)."""
        if not self.idle():
            return False
        async with self.sessions() as session:
            return await rows.due_count(session, now=self.clock(), bots=self.serves) == 0

    async def _guard(self, turn: Callable[[], Awaitable[None]]) -> None:
        while not self._stopping:
            try:
                await turn()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sender: %s failed; trying again", getattr(turn, "__name__", turn))
                await asyncio.sleep(1.0)

    # -- dispatching ----------------------------------------------------------------------------

    def _push(self, item: Queued, now: float) -> None:
        self._known.add(item.id)
        heapq.heappush(self._ready, _Entry(item.priority, item.id, now, item))
        self._wake.set()

    def _take_batch(self, now: float) -> tuple[list[Queued], float]:
        """The calls that may leave now (counted against the limiter), and how long until the
        next one may if none can."""
        while self._later and self._later[0][0] <= now:
            _, _, item = heapq.heappop(self._later)
            heapq.heappush(self._ready, _Entry(item.priority, item.id, now, item))
        batch: list[Queued] = []
        held: list[_Entry] = []
        soonest = self._later[0][0] - now if self._later else 1.0
        bulk_blocked = False
        wall = self.clock()
        # A chat's calls arrive in the order they were queued: none overtakes one that waits
        # to be tried again.
        waiting: dict[int, int] = {}
        for _, _, later in self._later:
            waiting[later.chat_id] = min(later.id, waiting.get(later.chat_id, later.id))
        while self._ready and len(batch) < BATCH and len(self._tasks) + len(batch) < MAX_IN_FLIGHT:
            entry = heapq.heappop(self._ready)
            item = entry.item
            if wall > item.useful_until:
                self._finish_unclaimed(item, OutStatus.EXPIRED)
                continue
            if (
                item.chat_id in self._busy
                or (item.proactive and bulk_blocked)
                or waiting.get(item.chat_id, item.id) < item.id
            ):
                held.append(entry)
                continue
            wait = self.limiter.wait_time(item.chat_id, proactive=item.proactive, now=now)
            if wait > 0:
                held.append(entry)
                soonest = min(soonest, wait)
                bulk_blocked = bulk_blocked or item.proactive
                continue
            if self.limiter.reserve(item.chat_id, proactive=item.proactive, now=now):
                self._paced.add(item.id)
            self._busy.add(item.chat_id)
            batch.append(item)
        for entry in held:
            heapq.heappush(self._ready, entry)
        # Proactive calls held back only by the bulk cap: broadcasts let them go first.
        self.limiter.waiting = sum(
            1
            for entry in held
            if entry.item.proactive and self.limiter.chat_wait(entry.item.chat_id, now) <= 0
        )
        return batch, soonest

    async def _dispatch_turn(self) -> None:
        batch, soonest = self._take_batch(self._mono())
        if not batch:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.005, min(soonest, 1.0)))
            return
        to_claim = [i.id for i in batch if not i.claimed]
        won = {i.id for i in batch if i.claimed}
        outcomes: list[Outcome] = []
        try:
            if to_claim:
                outcomes, self._outcomes = self._outcomes, []
                async with self.sessions() as session, session.begin():
                    await rows.record(session, outcomes, now=self.clock())
                    won |= await rows.claim(session, to_claim, now=self.clock())
        except Exception:
            self._outcomes[:0] = outcomes
            for item in batch:
                self._busy.discard(item.chat_id)
                if item.id in self._paced:
                    self._paced.discard(item.id)
                    self.limiter.cancel()
                self._push(item, self._mono())
            raise
        for item in batch:
            if item.id not in won:  # sent or given up meanwhile (another instance, a restart)
                self._busy.discard(item.chat_id)
                if item.id in self._paced:
                    self._paced.discard(item.id)
                    self.limiter.cancel()
                self._finish_unclaimed(item, None)
                continue
            task = asyncio.create_task(self._attempt(item), name=f"send-{item.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _finish_unclaimed(self, item: Queued, status: OutStatus | None) -> None:
        self._known.discard(item.id)
        if status is OutStatus.EXPIRED:
            self._poll.set()  # the poller's expiry marks the row
        future = self._waiters.pop(item.id, None)
        if future is not None and not future.done():
            future.set_result(Result(status or OutStatus.PENDING))

    # -- one call ------------------------------------------------------------------------------

    async def _call(self, item: Queued) -> Any:
        params = dict(item.params)
        if item.file is not None:
            field_name, filename, data = item.file
            params[field_name] = InputFile(data, filename=filename)
        return await self.bot.do_api_request(item.method, api_kwargs=params)

    async def _depart(self, item: Queued) -> None:
        """Wait until the request may leave, and count it as it leaves (Telegram counts
        arrivals; the claim before this may have taken a while)."""
        paced = item.id in self._paced
        self._paced.discard(item.id)
        if not paced:
            self.limiter.depart(paced=False, now=self._mono())
            return
        async with self._departures:  # one at a time, in the order picked
            while (  # noqa: ASYNC110
                wait := self.limiter.departure_wait(self._mono(), proactive=item.proactive)
            ) > 0:
                await asyncio.sleep(wait)  # a time to wait for, not an event
            self.limiter.depart(paced=True, now=self._mono())

    async def _attempt(self, item: Queued) -> None:
        attempts = item.attempts + 1
        result: Any = None
        retry_in: float | None = None
        try:
            await self._depart(item)
            left = self._mono()
            result = await self._call(item)
            if item.file is None:  # an upload's time says nothing of the network's jitter
                answered = self._mono()
                self.limiter.note_round_trip(answered - left, now=answered)
            message_id = result.get("message_id") if isinstance(result, dict) else None
            outcome = Outcome(item.id, OutStatus.SENT, message_id=message_id)
            self.sent_count += 1
            if self.recovery.faulted:
                self._telegram_answers()
        except Exception as exc:
            outcome, retry_in = await self._judge(item, exc, attempts)
        finally:
            self._busy.discard(item.chat_id)
        self._outcomes.append(outcome)
        OUTCOMES.labels(str(self.bot_id or ""), outcome.status.value).inc()
        if retry_in is not None:
            item.claimed = False  # given back `pending`: claimed again before the next try
            item.attempts = attempts - (1 if outcome.undo_attempt else 0)
            if outcome.chat_id is not None:
                item.chat_id = outcome.chat_id
                item.params = {**item.params, "chat_id": outcome.chat_id}
            if outcome.drop_thread:
                item.params = {k: v for k, v in item.params.items() if k != "message_thread_id"}
            # After the outcome is written (the next flush), the row may be claimed again.
            ready = self._mono() + max(retry_in, FLUSH_SECONDS * 3)
            heapq.heappush(self._later, (ready, next(self._seq), item))
        else:
            self._known.discard(item.id)
            self.recovery.done(item.id)
        future = self._waiters.pop(item.id, None)
        if future is not None and not future.done():
            future.set_result(Result(outcome.status, outcome.message_id, result))
        self._wake.set()

    async def _judge(
        self, item: Queued, exc: Exception, attempts: int
    ) -> tuple[Outcome, float | None]:
        """Act on a failed call (pause for a 429, move a group, mark a chat unreachable) and
        say what to record and in how many seconds to try again (None: never)."""
        verdict = judge(exc, attempts, give_up_after=None, cap=RETRY_CAP_SECONDS)
        self.recovery.note(item.id, passing_fault=verdict.fate is Fate.RETRY)
        if verdict.fate is Fate.FLOOD:
            self.flood_count += 1
            self.limiter.flooded(
                item.chat_id, verdict.pause, proactive=item.proactive, now=self._mono()
            )
        elif verdict.fate is Fate.MOVED and verdict.new_chat_id is not None:
            if self.on_moved is not None:
                await self.on_moved(item.chat_id, verdict.new_chat_id)
        elif verdict.fate is Fate.UNREACHABLE and self.on_unreachable is not None:
            await self.on_unreachable(item.chat_id, verdict.error or "")
        return outcome_of(item, verdict, now=self.clock())

    # -- background ---------------------------------------------------------------------------

    def _telegram_answers(self) -> None:
        """Telegram answered: calls waiting after a passing fault go now (`outbox.recovery`)."""
        moved = self.recovery.pull_forward(self._later, self._mono() + FLUSH_SECONDS * 3)
        if moved:
            log.info("Telegram answers again: %d call(s) waiting after a fault go now", moved)
            self._wake.set()

    async def _recovery_turn(self) -> None:
        """While calls wait after a passing fault, ask Telegram (`getMe`) every few seconds
        whether it answers again."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._halt.wait(), PROBE_EVERY)  # a stop ends the wait
        now = self._mono()
        if self._stopping or not self.recovery.wants_probe(self._later, now):
            return
        self.recovery.probed_at = now
        try:
            await asyncio.wait_for(self.bot.get_me(), PROBE_TIMEOUT)
        except (TelegramError, TimeoutError, OSError):
            return
        self._telegram_answers()

    async def _poll_turn(self) -> None:
        """Keep a stock of due rows in memory (proactive ones, and any left from before)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._poll.wait(), POLL_SECONDS)
        self._poll.clear()
        in_memory = len(self._ready) + len(self._later)
        if in_memory >= STOCK // 2:
            return
        async with self.sessions() as session, session.begin():
            await rows.expire(session, now=self.clock(), bots=self.serves)
            found = await rows.due(
                session,
                now=self.clock(),
                limit=STOCK - in_memory,
                exclude=sorted(self._known),
                bots=self.serves,
            )
        now = self._mono()
        for item in found:
            if item.id not in self._known:
                self._push(item, now)

    async def _flush_turn(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self._flush()

    async def _flush(self) -> None:
        if not self._outcomes:
            return
        outcomes, self._outcomes = self._outcomes, []
        try:
            async with self.sessions() as session, session.begin():
                await rows.record(session, outcomes, now=self.clock())
        except Exception:
            self._outcomes[:0] = outcomes
            raise
