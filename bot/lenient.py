"""A bot that survives malformed updates and commits every update before confirming it.

PTB parses a whole `getUpdates` batch at once; one update it cannot parse makes the whole batch
fail, forever, and every later update waits behind it. Here each update is checked on its own;
one that does not parse is set aside in the inbox and replaced by a bare `{"update_id": N}`,
which no handler claims, so the offset moves past it and nothing after it is lost.

Then the batch is committed to the inbox (`outbox.inbox`) before PTB's updater sees it: the
updater confirms the offset to Telegram only with its next call, so an update is never
confirmed before it is stored. Updates stored before (Telegram delivering again what a crashed
run had stored) are handed over as bare placeholders too: they are handled from the inbox.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import NetworkError
from telegram.ext import ExtBot

from outbox.backlog import Backlog
from outbox.inbox import Inbox

log = logging.getLogger(__name__)


class LenientExtBot(ExtBot[None]):
    _inbox: Inbox | None = None
    _backlog: Backlog | None = None
    _receiving_failed_at: float | None = None  # monotonic; set while getUpdates keeps failing

    def use_inbox(self, inbox: Inbox, backlog: Backlog | None = None) -> None:
        """Commit every `getUpdates` answer to `inbox` before handing it over; with a
        `backlog`, ask for more only while it has room (`outbox.backlog`)."""
        self._inbox = inbox
        self._backlog = backlog

    async def initialize(self) -> None:
        """PTB's, but a bot that fails to start (a token Telegram refuses, no network) closes
        the HTTP sessions it opened: nothing is left for the garbage collector to complain of."""
        try:
            await super().initialize()
        except BaseException:
            for request in (self.request, self._request[0]):
                await request.shutdown()
            raise

    async def _post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        if endpoint == "getUpdates" and self._backlog is not None:
            await self._backlog.room()
            # No more than there is room for (Telegram sends up to `limit`, 1-100, a call).
            asked = int((data or {}).get("limit") or 100)
            data = {**(data or {}), "limit": max(1, min(asked, self._backlog.free()))}
        if endpoint != "getUpdates":
            return await super()._post(endpoint, data, **kwargs)
        try:
            result = await super()._post(endpoint, data, **kwargs)
        except NetworkError:
            if self._receiving_failed_at is None:
                self._receiving_failed_at = time.monotonic()
            raise
        if self._receiving_failed_at is not None:
            # `bot.runner.polling_problem` said it was unreachable: say when it is back.
            down = time.monotonic() - self._receiving_failed_at
            self._receiving_failed_at = None
            log.info("Telegram reachable again: receiving updates (down %.0f s)", down)
        if not isinstance(result, list):
            return result
        handed = await self._checked(result)
        if self._backlog is not None and isinstance(handed, list):
            self._backlog.took(len(handed))
        return handed

    async def _checked(self, result: list[Any]) -> Any:
        checked: list[dict[str, Any]] = []
        for raw in result:
            if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
                log.warning("dropping an update without an update_id")
                continue
            problem = _problem(raw, self)
            if problem is None:
                checked.append(raw)
                continue
            log.warning("update %s is malformed (%s); setting it aside", raw["update_id"], problem)
            if self._inbox is not None:
                await self._guarded(self._inbox.set_aside_malformed(raw, problem))
            checked.append({"update_id": raw["update_id"]})
        if self._inbox is None or not checked:
            return checked
        return await self._guarded(self._inbox.take(checked))

    @staticmethod
    async def _guarded(work: Any) -> Any:
        """Inbox work; a database failure becomes a network error, so PTB's updater backs off
        and asks Telegram again (nothing was confirmed) instead of ending the polling loop."""
        try:
            return await work
        except (SQLAlchemyError, OSError) as exc:
            raise NetworkError(f"inbox unavailable: {type(exc).__name__}") from None


def _problem(raw: dict[str, Any], bot: ExtBot[None]) -> str | None:
    try:
        Update.de_json(dict(raw), bot)
    except Exception as exc:
        return type(exc).__name__
    return None
