"""The HTTP side: Telegram's webhook, `/healthz` and `/metrics` on one small server.

Starlette on uvicorn (as PTB's `customwebhookbot/starlettebot.py`) rather than PTB's own tornado
webhook: one server then also answers the health and metrics endpoints, and the update is
committed to the inbox (`outbox.inbox`) *before* Telegram gets its 200, and handled from there.
A process killed before the commit has not acknowledged the update, so Telegram delivers it
again (to the instance that takes over); one killed after it handles it at the next start from
the inbox. A redelivered update already in the inbox is acknowledged and not handled again.

Answers on the webhook path:
- 403 without the right `X-Telegram-Bot-Api-Secret-Token` (compared in constant time);
- 503 on a standby (nginx then tries the other instance; Telegram retries later);
- 400 for a body that is not a JSON object (nothing else happens);
- 500 when the inbox cannot store it (the database is down): Telegram delivers it again later;
- 200 for everything else, including an update PTB cannot parse (set aside in the inbox, so
  Telegram does not redeliver it forever).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import uvicorn
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update

from bot import metrics
from bot.health import Health
from services import DeskApplication, services_of

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class WebhookRoute:
    path: str
    secret: str
    app: DeskApplication
    ack_seconds: float = 10.0


def build_http_app(
    health: Health,
    webhook: WebhookRoute | None = None,
    *,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """`/healthz`, `/metrics`, Telegram's webhook (when given) and any extra routes (the desk
    page, `bot.runner.web_routes`; the SMS gateway's webhook, `bot.sms_wiring.routes_for`)."""

    async def healthz(_request: Request) -> Response:
        status, body = await health.report()
        return JSONResponse(body, status_code=status)

    async def prometheus(_request: Request) -> Response:
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
    ]
    if webhook is not None:

        async def telegram(request: Request) -> Response:
            return await receive(request, webhook, health)

        routes.append(Route(webhook.path, telegram, methods=["POST"]))
    routes.extend(extra_routes)
    return Starlette(routes=routes)


async def receive(request: Request, hook: WebhookRoute, health: Health) -> Response:
    """Check, parse and handle one update POSTed by Telegram."""
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), hook.secret.encode()):
        return Response(status_code=403)
    if not health.active:
        return Response(status_code=503)
    try:
        data = json.loads(await request.body())
    except ValueError:
        return Response("body is not JSON", status_code=400)
    if not isinstance(data, dict):
        return Response("body is not a JSON object", status_code=400)
    if not isinstance(data.get("update_id"), int):
        log.warning("webhook: dropping an update without an update_id")
        return Response(status_code=200)
    app = hook.app
    inbox = services_of(app).inbox
    backlog = app.bot_data.backlog
    if backlog is not None:
        await backlog.room()  # Telegram waits for the answer, holding what comes after
    try:
        update = Update.de_json(data, app.bot)
    except Exception as exc:
        log.warning("webhook: update %s is malformed; setting it aside", data["update_id"])
        if inbox is not None:
            await inbox.set_aside_malformed(data, type(exc).__name__)
        return Response(status_code=200)
    if inbox is not None:
        try:
            if not await inbox.take_one(data):
                return Response(status_code=200)  # stored before: handled from the inbox
        except (SQLAlchemyError, OSError) as exc:
            log.warning("webhook: inbox unavailable (%s); Telegram will retry", type(exc).__name__)
            return Response(status_code=500)
    if update is not None:
        if backlog is not None:
            backlog.took(1)
        await app.update_queue.put(update)
    return Response(status_code=200)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The command line owns SIGINT/SIGTERM; uvicorn must not take them over.
        yield


class HttpServer:
    """uvicorn in the bot's event loop, on a socket bound here (so a busy port is an error)."""

    def __init__(self, app: Starlette, *, host: str, port: int, graceful_seconds: float) -> None:
        self._config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,  # nginx keeps the access log; paths could hold secrets
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=int(graceful_seconds) + 1,
        )
        self._server = _Server(self._config)
        self._host, self._port = host, port
        self._socket: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        assert self._socket is not None
        return int(self._socket.getsockname()[1])

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self._port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        sock.setblocking(False)
        self._socket = sock
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeError("the HTTP server did not start")
            await asyncio.sleep(0.01)
        log.info("HTTP server on %s:%s", self._host, self.port)

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish, then return."""
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
