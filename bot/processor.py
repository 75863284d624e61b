"""Different people's updates run concurrently; one person's updates stay in order; each update
is marked handled in the inbox, or tried again and finally set aside when its handling fails.

PTB's `ConversationHandler`-style per-person state breaks with plain `concurrent_updates=True`
(PTB issues #3509, #3575); keying a lock on the sender keeps each person's steps sequential.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from handlers.common import answer_unanswered
from outbox.backlog import Backlog
from outbox.inbox import CURRENT, Inbox, UpdateScope
from outbox.sender import Sender

SetAsideHook = Callable[[Update, UpdateScope], Awaitable[None]]


def update_key(update: object) -> int | None:
    """The person (or, failing that, the chat) an update belongs to."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


def has_content(update: Update) -> bool:
    """False for a bare `{"update_id": N}` placeholder (it only moves the polling offset)."""
    return any(getattr(update, kind, None) is not None for kind in Update.ALL_TYPES)


class PerPersonProcessor(BaseUpdateProcessor):
    """Run updates concurrently across people and sequentially per person."""

    def __init__(self, max_concurrent_updates: int = 512) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self.inbox: Inbox | None = None
        self.sender: Sender | None = None
        self.on_set_aside: SetAsideHook | None = None
        self.backlog: Backlog | None = None  # told when each update's handling ends

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await self._process(update, coroutine)
        finally:
            if self.backlog is not None:
                self.backlog.done()

    async def _process(self, update: object, coroutine: Awaitable[Any]) -> None:
        scope = None
        if isinstance(update, Update):
            bot_id = self.inbox.bot_id if self.inbox is not None else 0
            scope = UpdateScope(update.update_id, bot_id, sender=self.sender)
        token = CURRENT.set(scope)
        try:
            await self._in_order(update, coroutine)
            if isinstance(update, Update) and scope is not None and scope.error is None:
                await answer_unanswered(update)
        finally:
            CURRENT.reset(token)
        if scope is None or self.inbox is None or not has_content(update):  # type: ignore[arg-type]
            return
        assert isinstance(update, Update)
        if scope.error is None:
            self.inbox.handled(update.update_id)
            return
        final = await self.inbox.failed(update.update_id, update.to_dict(), scope.error)
        if final and self.on_set_aside is not None:
            token = CURRENT.set(scope)
            try:
                await self.on_set_aside(update, scope)
            finally:
                CURRENT.reset(token)

    async def in_order(self, key: int, coroutine: Awaitable[Any]) -> None:
        """Run work of one person (an album finished after its quiet period) in turn with
        their updates."""
        await self._run_keyed(key, coroutine)

    async def _in_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = update_key(update)
        if key is None:
            await coroutine
            return
        await self._run_keyed(key, coroutine)

    async def _run_keyed(self, key: int, coroutine: Awaitable[Any]) -> None:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
