"""A fake Telegram Bot API HTTP server for tests (aiohttp, 127.0.0.1, random port).

Usage::

    async with FakeBotApi() as api:
        bot = telegram.Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url)
        user = api.user(1001)
        user.send_text("/start")
        ...
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import logging
import re
import time
from types import TracebackType
from typing import Any

from aiohttp import web

from .actors import ActorsMixin
from .business import BUSINESS_METHODS
from .faults import FailureSpec, FaultsMixin, Status
from .helpers import InspectionMixin
from .methods_misc import MISC_METHODS
from .methods_send import SEND_METHODS, Handler
from .ratelimit import FloodControl
from .state import DEFAULT_STARS, ApiError, Call, FakeState, JSONDict, RequestRecord
from .topics import TOPIC_METHODS
from .transport import read_params

logger = logging.getLogger(__name__)

METHODS: dict[str, Handler] = {
    **SEND_METHODS,
    **MISC_METHODS,
    **TOPIC_METHODS,
    **BUSINESS_METHODS,
}
BOT_PATH = re.compile(r"/bot([^/]*)/([^/]*)/?")
FILE_PATH = re.compile(r"/file/bot([^/]*)/(.+)")
NOT_FOUND: JSONDict = {"ok": False, "error_code": 404, "description": "Not Found"}
UNAUTHORIZED: JSONDict = {"ok": False, "error_code": 401, "description": "Unauthorized"}
# The realistic options (Telegram's published limits, replies not held to the bulk cap):
# ``FakeBotApi(**TELEGRAM_DEFAULT_LIMITS)``. STRICT caps replies too (the worst case).
TELEGRAM_DEFAULT_LIMITS: dict[str, Any] = {
    "flood_limits": True,
    "per_bot_rate": 30,
    "per_chat_rate": 1.0,
    "per_group_per_minute": 20,
    "private_burst": 10,
    "count_edits_per_bot": False,
    "cap_replies": False,
}
TELEGRAM_STRICT_LIMITS: dict[str, Any] = {**TELEGRAM_DEFAULT_LIMITS, "cap_replies": True}


class FakeBotApi(FaultsMixin, ActorsMixin, InspectionMixin):
    """Fake Telegram Bot API server. See the package docstring for the full API."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        bot_username: str = "desk_pemilu_test_bot",
        flood_limits: bool = True,
        per_bot_rate: float = 30,
        per_chat_rate: float = 1.0,
        per_group_per_minute: int = 20,
        private_burst: int = 10,
        count_edits_per_bot: bool = False,
        cap_replies: bool = False,
        allow_http_webhooks: bool = False,
        stars: float = DEFAULT_STARS,
        port: int = 0,
    ) -> None:
        """Telegram's flood windows are on by default, as on Telegram (see ``ratelimit``;
        ``TELEGRAM_DEFAULT_LIMITS`` spells them out, ``flood_limits=False`` turns them off for
        a benchmark of the process alone); ``cap_replies=False`` exempts replies from the
        per-bot window; ``allow_http_webhooks`` accepts ``http://`` webhook URLs (loopback
        tests; Telegram itself requires HTTPS); ``stars`` is the bot's Telegram Stars balance,
        from which each paid broadcast message (``allow_paid_broadcast``) draws 0.1."""
        self.token = token
        self._options: dict[str, Any] = {
            "flood_limits": flood_limits,
            "per_bot_rate": per_bot_rate,
            "per_chat_rate": per_chat_rate,
            "per_group_per_minute": per_group_per_minute,
            "private_burst": private_burst,
            "count_edits_per_bot": count_edits_per_bot,
            "cap_replies": cap_replies,
            "allow_http_webhooks": allow_http_webhooks,
        }
        # Other bots served at the same address (Telegram serves every bot at one): token ->
        # that bot's fake (`add_bot`); a bot added so has this one as its host.
        self._bots: dict[str, FakeBotApi] = {}
        self._host: FakeBotApi | None = None
        self._wanted_port = port  # 0: any free port
        flood = FloodControl(
            enabled=flood_limits,
            per_bot_rate=per_bot_rate,
            per_chat_rate=per_chat_rate,
            per_group_per_minute=per_group_per_minute,
            private_burst=private_burst,
            count_edits_per_bot=count_edits_per_bot,
            cap_replies=cap_replies,
        )
        self.state = FakeState(token, bot_username, flood)
        self.state.allow_http_webhooks = allow_http_webhooks
        self.state.star_tenths = round(stars * 10)
        self._outage_until: float | None = None
        self._outage_status: Status = 502
        self._records: list[RequestRecord] = []
        self._record_event = asyncio.Event()
        self._seq = itertools.count(1)
        self._failures: list[FailureSpec] = []
        self._freezes: list[list] = []
        self._latency = 0.0
        self._inflight = 0
        self._last_activity = time.monotonic()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    def add_bot(self, token: str, bot_username: str, **options: Any) -> FakeBotApi:
        """Another bot at this server's address, as Telegram serves every bot at one: its own
        chats (a user must write to it before it may write to them), updates, flood windows
        (Telegram's limits are per bot) and records; an outage of the server hits it too.
        `options` override this server's (e.g. `per_bot_rate`)."""
        other = FakeBotApi(token, bot_username=bot_username, **{**self._options, **options})
        other._host = self
        self._bots[token] = other
        if self._runner is not None:
            other.state.queue.reopen()
        return other

    # -- lifecycle -------------------------------------------------------------
    async def start(self) -> None:
        for other in self._bots.values():
            other.state.queue.reopen()
        self.state.queue.reopen()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._wanted_port)
        await site.start()
        address = self._runner.addresses[0]
        self._port = int(address[1])
        logger.debug("fake Bot API listening on %s", self.base_url)

    async def stop(self) -> None:
        for other in self._bots.values():
            other.state.queue.close()
        self.state.queue.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._host is not None:
            return self._host.port
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- latency ---------------------------------------------------------------
    def set_latency(self, seconds: float) -> None:
        self._latency = max(0.0, seconds)

    # -- HTTP ------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        file_match = FILE_PATH.fullmatch(request.path)
        if file_match is not None:
            token = file_match.group(1)
            return self._bots.get(token, self)._serve_file(*file_match.groups())
        match = BOT_PATH.fullmatch(request.path)
        if match is None:
            return web.json_response(NOT_FOUND, status=404)
        token, method = match.groups()
        other = self._bots.get(token)
        if other is not None:
            return await other._handle_call(request, token, method)
        tracked = method.lower() != "getupdates"
        if tracked:
            self._inflight += 1
            self._last_activity = time.monotonic()
        try:
            return await self._handle_call(request, token, method)
        finally:
            if tracked:
                self._inflight -= 1
                self._last_activity = time.monotonic()

    async def _handle_call(
        self, request: web.Request, token: str, method: str
    ) -> web.StreamResponse:
        record = RequestRecord(seq=next(self._seq), method=method, params={}, time=time.time())
        try:
            body = await read_params(request)
            record.params, record.files = body.params, body.files
        except ApiError as exc:
            return self._answer(record, exc.status, exc.body())
        outage = self._outage_status_now()
        if outage is not None:
            return self._fail(request, record, outage)
        if token != self.token:
            return self._answer(record, 401, UNAUTHORIZED)
        if self._latency:
            await asyncio.sleep(self._latency)
        waiting = self._refuse_while_waiting(request, record)
        if waiting is not None:
            return waiting
        failure = self._take_failure(method)
        if failure is not None and not failure.execute:
            return self._fail_injected(request, record, failure)
        call = Call(method, record.params, record.files)
        self._freeze_if_due(method)
        status, answer = await self._call(call)
        record.flood = call.flood if status == 200 else None
        outage = self._outage_status_now()  # began during the call: the answer is lost
        if outage is not None:
            return self._fail(request, record, outage)
        if failure is not None:
            return self._fail_injected(request, record, failure)
        return self._answer(record, status, answer)

    async def _call(self, call: Call) -> tuple[int, JSONDict]:
        handler = METHODS.get(call.method.lower())
        if handler is None:
            logger.warning("fake Bot API: method %r is not implemented (answered 404)", call.method)
            return 404, dict(NOT_FOUND)
        try:
            result = await handler(self.state, call)
        except ApiError as exc:
            return exc.status, exc.body()
        except Exception as exc:  # a bug in the fake: make it loud
            logger.exception("fake Bot API failed in %s", call.method)
            return 500, {
                "ok": False,
                "error_code": 500,
                "description": f"Fake server error: {exc!r}",
            }
        # a snapshot: stored messages are edited in place later
        return 200, {"ok": True, "result": copy.deepcopy(result)}

    def _answer(self, record: RequestRecord, status: int, body: JSONDict) -> web.Response:
        self._store(record, status, body)
        return web.json_response(body, status=status)

    def _store(self, record: RequestRecord, status: int, body: JSONDict | None) -> None:
        record.status, record.response = status, body
        self._records.append(record)
        self._record_event.set()
        logger.debug("%s %s -> %s", record.method, record.params, status)

    def _serve_file(self, token: str, path: str) -> web.Response:
        stored = self.state.files_by_path.get(path)
        if token != self.token or stored is None:
            return web.json_response(NOT_FOUND, status=404)
        return web.Response(body=stored.data or b"", content_type="application/octet-stream")
