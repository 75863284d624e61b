"""The post: the one door out of a desk with one or several bots.

Every call the bot owes is queued here (`services.out`). Each call leaves through one bot: an
answer (`proactive=False`) through the bot that heard the update being handled (the person
wrote to it, so it may write back), anything else through its recipient's bot (the one the
person started, the one that is a member of the group: `storage.bots.chat_owners`), chats with
no bot recorded through the desk's first bot. Each bot has its own `Sender` and its own limiter
(Telegram's limits are per bot). A bot held by another process (several processes sharing the
bots through PostgreSQL) has no sender here: its calls are queued as rows and its holder's
sender takes them from the table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.bots import Directory
from domain.outbox import Outgoing, OutStatus
from outbox.inbox import CURRENT
from outbox.limiter import Limiter
from outbox.outcomes import Result
from outbox.sender import Clock, Sender
from storage import bots as bot_rows
from storage import outbox as rows
from storage.outbox import Queued


class Post:
    """Route each owed call to its bot's sender; the interface of a `Sender` (`queue`,
    `release`, `send`, `start`, `stop`) for the whole desk."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, clock: Clock, desk: Directory
    ) -> None:
        self.sessions, self.clock, self.desk = sessions, clock, desk
        self.senders: dict[int, Sender] = {}  # bot id -> the sender of a bot this process holds
        self._started: set[int] = set()

    def add(self, sender: Sender) -> None:
        """A bot's sender (its `bot_id` set); it takes that bot's rows from the table (and the
        rows with no bot, if it is the desk's first bot)."""
        assert sender.bot_id is not None
        self.senders[sender.bot_id] = sender
        self.assign()

    def assign(self) -> None:
        """Say whose rows each sender takes, from the desk as now known: all of them on a
        one-bot desk; else its own bot's, and the first bot's sender also those with none."""
        for bot_id, sender in self.senders.items():
            if not self.desk.several:
                sender.serves = None
            elif bot_id == self.desk.first.id:
                sender.serves = (bot_id, None)
            else:
                sender.serves = (bot_id,)

    @property
    def first(self) -> Sender:
        """The sender of the desk's first bot (or, in a process that does not hold it, of the
        first bot it holds)."""
        if self.desk.bots and self.desk.first.id in self.senders:
            return self.senders[self.desk.first.id]
        return next(iter(self.senders.values()))

    @property
    def limiter(self) -> Limiter:
        """The first bot's limiter (a one-bot desk's only one)."""
        return self.first.limiter

    def sender_for(self, bot_id: int | None) -> Sender | None:
        """The sender of a bot this process holds; None if another process holds it."""
        if not self.desk.several:
            return self.first
        return self.senders.get(self.desk.owner(bot_id))

    async def route(self, session: AsyncSession, items: Sequence[Outgoing]) -> None:
        """Set each call's `bot_id` (left alone where the caller set it)."""
        if not self.desk.several:
            for item in items:
                if item.bot_id is None:
                    item.bot_id = self.desk.first.id if self.desk.bots else None
            return
        scope = CURRENT.get()
        heard_by = scope.bot_id if scope is not None and scope.bot_id else None
        unknown = []
        for item in items:
            if item.bot_id is not None:
                continue
            if not item.proactive and heard_by is not None:
                item.bot_id = heard_by
            else:
                unknown.append(item)
        if not unknown:
            return
        owners = await bot_rows.chat_owners(session, (item.chat_id for item in unknown))
        for item in unknown:
            item.bot_id = self.desk.owner(owners.get(item.chat_id))

    async def queue(self, session: AsyncSession, items: Sequence[Outgoing]) -> list[Queued]:
        """Queue calls in the caller's transaction (see `Sender.queue`); call `release` with
        the result after it commits."""
        await self.route(session, items)
        queued: list[Queued] = []
        by_bot: dict[int | None, list[Outgoing]] = {}
        for item in items:
            by_bot.setdefault(item.bot_id, []).append(item)
        for bot_id, group in by_bot.items():
            sender = self.sender_for(bot_id)
            if sender is not None:
                queued += await sender.queue(session, group)
            else:
                queued += await rows.enqueue(session, group, now=self.clock())
        return queued

    def release(self, queued: Sequence[Queued]) -> list[asyncio.Future[Result]]:
        """After the commit: each bot's calls to its sender (a bot held elsewhere: its holder
        finds them in the table)."""
        futures: list[asyncio.Future[Result]] = []
        by_bot: dict[int | None, list[Queued]] = {}
        for item in queued:
            by_bot.setdefault(item.bot_id, []).append(item)
        for bot_id, group in by_bot.items():
            sender = self.sender_for(bot_id)
            if sender is not None:
                futures += sender.release(group)
        return futures

    async def send(self, *items: Outgoing, wait: bool = True) -> list[Result]:
        """Queue calls in a transaction of their own and, for answers, wait for the first try
        (see `Sender.send`): one `Result` per call queued now."""
        async with self.sessions() as session, session.begin():
            queued = await self.queue(session, items)
        futures = self.release(queued)
        if not wait or not futures:
            return [Result(OutStatus.PENDING) for _ in queued]
        return list(await asyncio.gather(*futures))

    async def start(self) -> None:
        """Start the senders of every bot (a process holding them all)."""
        for bot_id in self.senders:
            await self.start_bot(bot_id)

    async def start_bot(self, bot_id: int) -> None:
        """Start one bot's sender: this process now holds that bot. The senders of bots held
        elsewhere stay stopped: what is queued for them waits in the table for their holder."""
        self.assign()
        if bot_id not in self._started:
            await self.senders[bot_id].start()
            self._started.add(bot_id)

    async def stop(self) -> None:
        """Stop every sender: the calls in flight are recorded, the rest stay queued."""
        for bot_id, sender in self.senders.items():
            if bot_id in self._started:
                await sender.stop()
        self._started.clear()

    def idle(self) -> bool:
        """No sender holds anything in memory."""
        return all(sender.idle() for sender in self.senders.values())

    async def quiet(self) -> bool:
        """Idle, and no row any sender here could send now."""
        for sender in self.senders.values():
            if not await sender.quiet():
                return False
        return True
