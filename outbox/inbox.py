"""The inbox: no update Telegram handed over lives only in memory.

Polling: the `getUpdates` answer is committed here before it is returned to PTB's updater, whose
next call confirms the offset to Telegram. Webhook: the update is committed before Telegram gets
its 200. Either way a crash at any instant loses nothing: at the next start the updates not
marked handled are handled (`replay`), and Telegram's redelivery of one already stored is
recognised by its `update_id` and not handled again.

Handling is marked done in batches (a crash before the mark handles the update again; check-ins,
drafts and answers are keyed, so that changes and sends nothing twice). An update whose handling
raises is tried again after 1 and 4 s; after `MAX_ATTEMPTS` it is set aside with its error
(`/gagal` shows admins; `/metrics` counts them), and never holds up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.checkins.records import Draft
from domain.people import Member
from outbox.sender import Sender
from storage import inbox as rows

log = logging.getLogger(__name__)

SET_ASIDE = Counter("deskbot_updates_set_aside_total", "Updates set aside after failing")

MAX_ATTEMPTS = 3
FLUSH_SECONDS = 0.1
# How long a handled update is kept. Telegram keeps an update it has not delivered for at most
# 24 hours (Bot API, "Getting updates"), so a redelivery of one already handled comes within a
# day. Kept longer, a row only keeps what people typed (invite codes in `/start` included) and
# could swallow a new update whose id Telegram reused: after a week without updates it picks
# the next id at random.
KEEP_HANDLED = timedelta(days=2)
KEEP_SET_ASIDE = timedelta(days=14)  # shown by /gagal until then
PRUNE_EVERY = 3600.0  # seconds; the first a minute after start
PRUNE_FIRST = 60.0
PRUNE_BATCH = 5_000


@dataclass
class UpdateScope:
    """What is known about the update being handled, for code deep inside the handlers."""

    update_id: int
    bot_id: int
    sender: Sender | None = None
    answers: int = 0
    error: BaseException | None = None
    stored: bool = False  # a check-in (or other record) was committed for it
    button_answered: bool = False  # its callback query was answered (Telegram takes one answer)
    # Who sent it, read once for all its handlers (`handlers.common.current_member`): valid
    # while `member_of` is the sender's Telegram id; a handler changing them sets it to None.
    member: Member | None = None
    member_of: int | None = None
    # Their open draft, read together with `member` (private chats): handed out
    # once, to the first handler that asks (`handlers.common.opening_draft`), then read again.
    draft: Draft | None = None
    draft_of: int | None = None

    def answer_key(self) -> str:
        """A key for the next answer to this update: handling it again sends nothing twice."""
        self.answers += 1
        return f"u{self.bot_id}:{self.update_id}:{self.answers}"


CURRENT: contextvars.ContextVar[UpdateScope | None] = contextvars.ContextVar(
    "deskbot_update", default=None
)


def current() -> UpdateScope | None:
    """The update being handled in this task, if any."""
    return CURRENT.get()


def is_bare(raw: dict[str, Any]) -> bool:
    """An update with nothing but its id: a placeholder that only moves the offset."""
    return set(raw) <= {"update_id"}


@dataclass
class Inbox:
    """Store, mark and replay updates of one bot."""

    sessions: async_sessionmaker[AsyncSession]
    bot_id: int
    clock: Callable[[], datetime]
    resubmit: Callable[[dict[str, Any]], Any] | None = None  # puts an update back in the queue
    _done: list[int] = field(default_factory=list)
    _attempts: dict[int, int] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None
    _retrying: int = 0
    _stopping: bool = False
    set_aside_count: int = 0

    async def take(self, updates: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Commit updates; return them with those already stored replaced by bare placeholders
        (they are, or were, handled from the inbox)."""
        real = [u for u in updates if not is_bare(u)]
        new = await rows.take(self.sessions, self.bot_id, real, now=self.clock())
        return [
            u if is_bare(u) or u["update_id"] in new else {"update_id": u["update_id"]}
            for u in updates
        ]

    async def take_one(self, update: dict[str, Any]) -> bool:
        """Commit one update (webhook); False if it was stored before."""
        return bool(await rows.take(self.sessions, self.bot_id, [update], now=self.clock()))

    async def set_aside_malformed(self, update: dict[str, Any], error: str) -> None:
        """An update that cannot be parsed: stored as failed at once, never handled."""
        async with self.sessions() as session, session.begin():
            await rows.store(session, self.bot_id, [update], now=self.clock())
            await rows.mark_failed(
                session,
                self.bot_id,
                update["update_id"],
                attempts=0,
                error=error,
                set_aside=True,
                now=self.clock(),
            )

    async def pending(self) -> list[dict[str, Any]]:
        """Updates stored but never marked handled, oldest first."""
        async with self.sessions() as session, session.begin():
            return await rows.pending(session, self.bot_id)

    def handled(self, update_id: int) -> None:
        """Mark an update handled (written within `FLUSH_SECONDS`)."""
        self._attempts.pop(update_id, None)
        self._done.append(update_id)

    async def failed(self, update_id: int, raw: dict[str, Any], error: BaseException) -> bool:
        """Count a failed handling; True when it is set aside for good (then tell the person)."""
        attempts = self._attempts.get(update_id, 0) + 1
        self._attempts[update_id] = attempts
        final = attempts >= MAX_ATTEMPTS or self.resubmit is None
        described = "".join(traceback.format_exception_only(type(error), error)).strip()
        async with self.sessions() as session, session.begin():
            await rows.mark_failed(
                session,
                self.bot_id,
                update_id,
                attempts=attempts,
                error=described,
                set_aside=final,
                now=self.clock(),
            )
        if final:
            self._attempts.pop(update_id, None)
            self.set_aside_count += 1
            SET_ASIDE.inc()
            log.error("update %s set aside after %d attempts: %s", update_id, attempts, described)
            return True
        delay = 4.0 ** (attempts - 1)
        log.warning("update %s failed (%s); trying again in %.0f s", update_id, described, delay)
        self._retrying += 1
        asyncio.get_running_loop().call_later(delay, self._resubmit, raw)
        return False

    def _resubmit(self, raw: dict[str, Any]) -> None:
        self._retrying -= 1
        if self.resubmit is not None:
            self.resubmit(raw)

    def idle(self) -> bool:
        """No failed update waiting to be tried again."""
        return self._retrying == 0

    # -- background -----------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._flush_loop(), name="inbox-flush")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            # Never cancelled inside its transaction: it ends after its current turn.
            _, hanging = await asyncio.wait({self._task}, timeout=5)
            for task in hanging:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._task = None
        await self.flush()

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_prune = loop.time() + PRUNE_FIRST
        while not self._stopping:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self.flush()
                if loop.time() >= next_prune:
                    next_prune = loop.time() + PRUNE_EVERY
                    await self.prune()
            except Exception:
                log.exception("inbox: marking updates handled failed; trying again")

    async def prune(self) -> int:
        """Delete handled updates older than `KEEP_HANDLED` and set-aside ones older than
        `KEEP_SET_ASIDE`, in batches of `PRUNE_BATCH` (each its own short transaction, so a
        first prune of a large inbox never holds SQLite's one writer for long); return how
        many. Pending updates are never deleted."""
        total = 0
        while not self._stopping:
            now = self.clock()
            async with self.sessions() as session, session.begin():
                deleted = await rows.prune(
                    session,
                    self.bot_id,
                    handled_before=now - KEEP_HANDLED,
                    set_aside_before=now - KEEP_SET_ASIDE,
                    limit=PRUNE_BATCH,
                )
            total += deleted
            if deleted < PRUNE_BATCH:
                break
            await asyncio.sleep(0.05)
        if total:
            log.info("inbox: %d updates handled long ago deleted", total)
        return total

    async def flush(self) -> None:
        if not self._done:
            return
        done, self._done = self._done, []
        try:
            async with self.sessions() as session, session.begin():
                await rows.mark_done(session, self.bot_id, done, now=self.clock())
        except Exception:
            self._done[:0] = done
            raise
