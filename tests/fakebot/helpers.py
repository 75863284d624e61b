"""Test-side API of FakeBotApi: inspecting what the bot did, webhook delivery."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from .state import FakeState, JSONDict, RequestRecord, SentFile, normalize_chat_id, scope_json

logger = logging.getLogger(__name__)

Predicate = Callable[[RequestRecord], bool]


def peak_in_window(times: list[float], window: float) -> int:
    """The most of the sorted ``times`` inside any half-open interval [t, t + window)."""
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


class InspectionMixin:
    state: FakeState
    _records: list[RequestRecord]
    _record_event: asyncio.Event
    _seq: Any
    _inflight: int
    _last_activity: float

    # -- inspection --------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        return list(self._records)

    def reset_requests(self) -> None:
        self._records.clear()

    def mark(self) -> int:
        """A position in the request log; pass as ``after=`` to only see newer calls."""
        return int(next(self._seq))

    @property
    def rate_limited_count(self) -> int:
        """429s the fake answered by Telegram's rules (flood windows and the wait after
        any 429); ``count_429()`` also counts injected ones."""
        return self.state.rate_limited_count

    @property
    def webhook(self) -> JSONDict | None:
        return self.state.webhook

    @property
    def callback_answers(self) -> dict[str, JSONDict]:
        return self.state.callback_answers

    @property
    def chat_actions(self) -> list[tuple[int, str]]:
        return self.state.chat_actions

    @property
    def sent_files(self) -> list[SentFile]:
        return self.state.sent_files

    def count_429(self, method: str | None = None, *, chat_id: int | None = None) -> int:
        """Every 429 answered: flood windows, waits after a 429, and injected ones."""
        return sum(1 for r in self._select(method, chat_id, None, None) if r.status == 429)

    def peak_sends(
        self,
        *,
        window: float = 1.0,
        chat_id: int | None = None,
        proactive_only: bool = True,
        include_edits: bool = False,
    ) -> int:
        """The most accepted sends in any sliding ``window`` seconds (times taken when
        flood control counted them). ``proactive_only``: only those counted toward the
        per-bot window (replies exempted by ``cap_replies=False`` left out)."""
        times = sorted(
            r.flood.at
            for r in self._select(None, chat_id, None, None)
            if r.flood is not None
            and (include_edits or not r.flood.is_edit)
            and (r.flood.proactive or not proactive_only)
        )
        return peak_in_window(times, window)

    def peak_sends_by_chat(
        self, *, window: float = 1.0, proactive_only: bool = False, include_edits: bool = False
    ) -> dict[int, int]:
        """``peak_sends`` for every chat that got a send: {chat_id: peak}."""
        chats = {r.flood.chat_id for r in self._records if r.flood is not None}
        return {
            chat: self.peak_sends(
                window=window,
                chat_id=chat,
                proactive_only=proactive_only,
                include_edits=include_edits,
            )
            for chat in sorted(chats)
        }

    def messages_to(self, chat_id: int) -> list[JSONDict]:
        """Messages the bot sent to a chat, in order, as they are now (edits applied)."""
        return [copy.deepcopy(m) for m in self.state.outgoing_messages(chat_id)]

    def last_message(self, chat_id: int) -> JSONDict | None:
        messages = self.state.outgoing_messages(chat_id)
        return copy.deepcopy(messages[-1]) if messages else None

    def updates_pending(self) -> list[JSONDict]:
        """Queued updates not yet confirmed by a getUpdates offset."""
        return self.state.queue.pending()

    def commands(
        self,
        scope_type: str = "default",
        chat_id: int | None = None,
        user_id: int | None = None,
        language_code: str = "",
    ) -> list[JSONDict]:
        scope: JSONDict = {"type": scope_type}
        if chat_id is not None:
            scope["chat_id"] = chat_id
        if user_id is not None:
            scope["user_id"] = user_id
        return list(self.state.commands.get((scope_json(scope), language_code), []))

    def _select(
        self,
        method: str | None,
        chat_id: int | str | None,
        predicate: Predicate | None,
        after: int | None,
    ) -> list[RequestRecord]:
        wanted_chat = normalize_chat_id(chat_id)
        return [
            r
            for r in self._records
            if (method is None or r.method.lower() == method.lower())
            and (wanted_chat is None or r.chat_id == wanted_chat)
            and (after is None or r.seq > after)
            and (predicate is None or predicate(r))
        ]

    def count(self, method: str | None = None, *, chat_id: int | None = None) -> int:
        return len(self._select(method, chat_id, None, None))

    async def wait_for_all(
        self,
        method: str | None = None,
        *,
        chat_id: int | str | None = None,
        predicate: Predicate | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the harness API
        count: int = 1,
        after: int | None = None,
    ) -> list[RequestRecord]:
        """Wait until ``count`` matching requests were answered; return the first ``count``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self._select(method, chat_id, predicate, after)
            if len(found) >= count:
                return found[:count]
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [f"{r.method}({r.chat_id})->{r.status}" for r in self._records[-15:]]
                raise TimeoutError(
                    f"waited {timeout}s for {count} x {method or 'any'} (chat {chat_id}); "
                    f"got {len(found)}. Recent requests: {seen}"
                )
            self._record_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._record_event.wait(), remaining)

    async def wait_for(
        self,
        method: str | None = None,
        *,
        chat_id: int | str | None = None,
        predicate: Predicate | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the harness API
        count: int = 1,
        after: int | None = None,
    ) -> RequestRecord:
        """Like wait_for_all but return only the ``count``-th matching record."""
        found = await self.wait_for_all(
            method,
            chat_id=chat_id,
            predicate=predicate,
            timeout=timeout,
            count=count,
            after=after,
        )
        return found[count - 1]

    @property
    def polling(self) -> bool:
        """True while a getUpdates long poll is pending."""
        return self.state.queue.polling

    async def wait_polling(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has a getUpdates long poll pending."""
        deadline = time.monotonic() + timeout
        while True:
            if self.state.queue.polling:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"no getUpdates call pending after {timeout}s")
            await asyncio.sleep(0.01)

    async def wait_idle(self, timeout: float = 5.0, *, quiet: float = 0.2) -> None:  # noqa: ASYNC109
        """Wait until every queued update was confirmed and no call (other than a
        pending getUpdates) happened for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            if (
                not self.state.queue.pending()
                and self._inflight == 0
                and now - self._last_activity >= quiet
            ):
                return
            if now > deadline:
                raise TimeoutError(
                    f"not idle after {timeout}s: {len(self.state.queue.pending())} updates "
                    f"pending, {self._inflight} calls in flight"
                )
            await asyncio.sleep(0.02)

    # -- webhook delivery --------------------------------------------------------
    async def post_webhook_update(
        self,
        update: JSONDict,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> int:
        """POST one update to the registered webhook like Telegram does; return the
        HTTP status. On 2xx the update is removed from the pending queue."""
        hook = self.state.webhook
        if hook is None:
            raise RuntimeError("no webhook is set")
        headers = {"Content-Type": "application/json"}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(hook["secret_token"])
        client_timeout = aiohttp.ClientTimeout(total=timeout)
        async with (
            aiohttp.ClientSession(timeout=client_timeout) as session,
            session.post(hook["url"], data=json.dumps(update), headers=headers) as resp,
        ):
            status = resp.status
        if 200 <= status < 300:
            self.state.queue.remove(update)
        return status

    async def deliver_webhook_updates(self) -> list[int]:
        """POST every pending update to the webhook in order; return the statuses."""
        return [await self.post_webhook_update(u) for u in list(self.state.queue.pending())]
