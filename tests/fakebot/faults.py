"""Faults the way Telegram shows them: injected failures, outages and 429 waits.

* ``fail_next``: the next calls of a method fail with an HTTP status or a dropped
  connection. An injected 429 always carries ``parameters.retry_after`` of at least 1
  (Telegram never sends 0) and, like Telegram, the fake then refuses every further call
  of the bot (or of that chat, ``flood_scope="chat"``) with 429 until it has passed.
* ``freeze_on``: the process stops for a moment while a call is on its way (a GC pause).
* ``outage``/``outage_start``/``outage_end``: every call, getUpdates included, fails with
  502 (or another status, or ``"network"``: the connection drops) until the outage ends.
  A long poll pending when the outage starts is answered with the failure at once.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from .state import FakeState, JSONDict, RequestRecord

Status = int | Literal["network"]
DEFAULT_FAILURE_TEXT = {
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    429: "Too Many Requests: retry after 1",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class FailureSpec:
    method: str | None  # lower-case method name, None = any method
    remaining: int
    status: Status
    execute: bool  # perform the call first, then fail the answer (lost response)
    description: str | None
    parameters: JSONDict | None
    flood_scope: Literal["bot", "chat"] = "bot"


def error_body(status: int, description: str | None, parameters: JSONDict | None) -> JSONDict:
    """A Telegram error answer; a 429 gets ``retry_after`` >= 1 and its usual text."""
    params = dict(parameters or {})
    if status == 429:
        retry = max(1, math.ceil(float(params.get("retry_after") or 1)))
        params["retry_after"] = retry
        description = description or f"Too Many Requests: retry after {retry}"
    text = description or DEFAULT_FAILURE_TEXT.get(status, "Server Error")
    body: JSONDict = {"ok": False, "error_code": status, "description": text}
    if params:
        body["parameters"] = params
    return body


class FaultsMixin:
    """Failure injection for FakeBotApi (see the module docstring)."""

    state: FakeState
    _failures: list[FailureSpec]
    _freezes: list[list]  # [method, calls to go, seconds]
    _outage_until: float | None
    _outage_status: Status

    def _answer(self, record: RequestRecord, status: int, body: JSONDict) -> web.Response:
        raise NotImplementedError

    def _store(self, record: RequestRecord, status: int, body: JSONDict | None) -> None:
        raise NotImplementedError

    def fail_next(
        self,
        method: str | None,
        count: int = 1,
        status: Status = 502,
        *,
        execute: bool = False,
        description: str | None = None,
        parameters: JSONDict | None = None,
        flood_scope: Literal["bot", "chat"] = "bot",
    ) -> None:
        """Fail the next ``count`` calls of ``method`` (None = any method).

        ``status`` is an HTTP status answered with a Telegram-style error body, or
        ``"network"`` to drop the connection without answering. With ``execute=True``
        the call is performed first (e.g. the message is really sent) and only the
        answer is lost/replaced -- the classic "retry sends a duplicate" situation.
        A 429's ``retry_after`` is raised to at least 1; after it every call of the bot
        (``flood_scope="chat"``: every call naming the same chat) is refused until then.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        self._failures.append(
            FailureSpec(
                method.lower() if method else None,
                count,
                status,
                execute,
                description,
                parameters,
                flood_scope,
            )
        )

    def freeze_on(self, method: str, seconds: float, *, nth: int = 1) -> None:
        """When the ``nth`` call of ``method`` from now arrives, stop the whole process for
        ``seconds`` before Telegram counts the call.

        What a garbage-collector pause or a starved CPU does to a bot and this in-process
        fake alike: a request the bot has already counted as sent reaches Telegram's
        counters late, and the bot wakes up behind its pace (seen with six test workers on
        two cores: a broadcast at 25 a second counted 26 in one second).
        """
        if nth < 1 or seconds <= 0:
            raise ValueError("nth must be at least 1 and seconds positive")
        self._freezes.append([method.lower(), nth, seconds])

    @property
    def pending_freezes(self) -> int:
        """Freezes set by ``freeze_on`` that have not happened yet."""
        return len(self._freezes)

    def _freeze_if_due(self, method: str) -> None:
        for freeze in list(self._freezes):
            if freeze[0] == method.lower():
                freeze[1] -= 1
                if freeze[1] == 0:
                    self._freezes.remove(freeze)
                    # Blocking on purpose: the whole process stops, not just this call.
                    time.sleep(freeze[2])

    def outage(self, seconds: float, status: Status = 502) -> None:
        """Every call fails with ``status`` for ``seconds`` from now, then recovers."""
        self._begin_outage(time.monotonic() + max(0.0, seconds), status)

    def outage_start(self, status: Status = 502) -> None:
        """Every call fails with ``status`` until ``outage_end()``."""
        self._begin_outage(math.inf, status)

    def outage_end(self) -> None:
        self._outage_until = None

    @property
    def in_outage(self) -> bool:
        return self._outage_status_now() is not None

    def _begin_outage(self, until: float, status: Status) -> None:
        self._outage_until, self._outage_status = until, status
        self.state.queue.interrupt()

    def _outage_status_now(self) -> Status | None:
        host = getattr(self, "_host", None)
        if host is not None and host._outage_status_now() is not None:
            return host._outage_status_now()  # the server is down for every bot it serves
        if self._outage_until is None:
            return None
        if time.monotonic() >= self._outage_until:
            self._outage_until = None
            return None
        return self._outage_status

    def _take_failure(self, method: str) -> FailureSpec | None:
        for spec in self._failures:
            if spec.remaining > 0 and spec.method in (None, method.lower()):
                spec.remaining -= 1
                if spec.remaining == 0:
                    self._failures.remove(spec)
                return spec
        return None

    def _fail(
        self,
        request: web.Request,
        record: RequestRecord,
        status: Status,
        *,
        description: str | None = None,
        parameters: JSONDict | None = None,
    ) -> web.Response:
        if status == "network":
            self._store(record, 0, None)
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError()
        return self._answer(record, status, error_body(status, description, parameters))

    def _fail_injected(
        self, request: web.Request, record: RequestRecord, spec: FailureSpec
    ) -> web.Response:
        response = self._fail(
            request,
            record,
            spec.status,
            description=spec.description,
            parameters=spec.parameters,
        )
        if spec.status == 429 and record.response is not None:
            retry = int(record.response["parameters"]["retry_after"])
            chat = record.chat_id if spec.flood_scope == "chat" else None
            self.state.flood.penalties.impose(
                retry, chat_id=chat if isinstance(chat, int) else None
            )
        return response

    def _refuse_while_waiting(
        self, request: web.Request, record: RequestRecord
    ) -> web.Response | None:
        """Telegram's answer while an earlier 429's wait runs (None: no wait applies)."""
        chat = record.chat_id
        refusal = self.state.flood.penalties.refusal(chat if isinstance(chat, int) else None)
        if refusal is None:
            return None
        self.state.rate_limited_count += 1
        return self._fail(request, record, 429, parameters={"retry_after": refusal.retry_after})
