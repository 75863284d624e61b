"""A fake SMS Gateway for Android for the tests: the phone's local API and its webhooks.

Speaks what the real app speaks (capcom6/android-sms-gateway at 0cdc5d8):
- `POST /message` and `/messages` with basic auth: `{id?, textMessage{text}, phoneNumbers,
  ttl?, simNumber?, withDeliveryReport?}`; 202 with `{id, deviceId, state: "Pending",
  recipients: [{phoneNumber, state}]}`; 400 for a bad body, 401 without the credentials, 409
  for an id it already has;
- `POST /messages/inbox/export` `{deviceId, since, until}`: 202, then the SMS of its inbox in
  that period are delivered again as `sms:received` webhooks with new envelope ids;
- `GET /health`: `{status: "pass"}`.
`GatewayPhone` POSTs webhooks to the bot signed as the app signs them (`X-Timestamp`, and
`X-Signature` = hex HMAC-SHA256 of the raw body followed by the timestamp).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from domain.sms import sign

DEVICE_ID = "PyDmBQZZXYmyxMwED8Fzy"
_WIB = ZoneInfo("Asia/Jakarta")


@dataclass
class SentSms:
    id: str
    phone: str
    text: str
    ttl: int | None
    at: datetime  # on the test's clock


@dataclass
class InboxSms:
    sender: str
    text: str
    received_at: datetime
    sim: int | None = 1


class GatewayPhone:
    """The phone's webhook side: POSTs signed envelopes to the bot's SMS webhook."""

    def __init__(self, url: str, key: str, clock: Callable[[], datetime]) -> None:
        self.url, self.key, self.clock = url, key, clock

    def envelope(
        self, event: str, payload: dict[str, Any], envelope_id: str | None = None
    ) -> bytes:
        return json.dumps(
            {
                "id": envelope_id or secrets.token_urlsafe(15),
                "webhookId": "desk",
                "deviceId": DEVICE_ID,
                "event": event,
                "payload": payload,
            }
        ).encode()

    async def post(
        self,
        body: bytes,
        *,
        key: str | None = None,
        signed_at: datetime | None = None,
        signed: bool = True,
    ) -> int:
        """POST a body as the app does; return the HTTP status."""
        headers = {"Content-Type": "application/json; charset=UTF-8"}
        if signed:
            stamp = str(int((signed_at or self.clock()).timestamp()))
            headers["X-Timestamp"] = stamp
            headers["X-Signature"] = sign(key or self.key, body, stamp)
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=body, headers=headers) as response,
        ):
            return response.status

    async def sms(
        self,
        sender: str,
        text: str,
        *,
        received_at: datetime | None = None,
        sim: int | None = 1,
        envelope_id: str | None = None,
        **signing: Any,
    ) -> int:
        """An `sms:received` webhook; `receivedAt` in WIB as a phone in Jakarta writes it."""
        moment = received_at or self.clock()
        local = moment.astimezone(_WIB)
        payload = {
            "messageId": format(abs(hash(text)) % 2**32, "x"),  # a content hash, as the app
            "message": text,
            "sender": sender,
            "phoneNumber": sender,
            "recipient": None,
            "simNumber": sim,
            "receivedAt": local.isoformat(timespec="milliseconds"),
        }
        return await self.post(self.envelope("sms:received", payload, envelope_id), **signing)

    async def ping(self, **signing: Any) -> int:
        return await self.post(self.envelope("system:ping", {}), **signing)


class FakeGateway:
    """The phone's local server on 127.0.0.1 (an aiohttp app), recording what it was asked."""

    def __init__(
        self, clock: Callable[[], datetime], *, username: str = "sms", password: str = "pw"
    ) -> None:
        self.clock = clock
        self._auth = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.sent: list[SentSms] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.inbox: list[InboxSms] = []
        self.exports: list[dict[str, Any]] = []
        self.fail_next: list[int] = []  # statuses to answer the next sends with
        self.phone: GatewayPhone | None = None
        self._ids: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> FakeGateway:
        app = web.Application()
        app.router.add_post("/message", self._send)
        app.router.add_post("/messages", self._send)
        app.router.add_post("/messages/inbox/export", self._export)
        app.router.add_get("/health", self._health)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    def texts_to(self, phone: str) -> list[str]:
        return [s.text for s in self.sent if s.phone == phone]

    async def _health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "pass", "checks": {}})

    async def _send(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != self._auth:
            return web.json_response({"message": "Unauthorized"}, status=401)
        body = await request.json()
        self.requests.append(("send", body))
        if self.fail_next:
            status = self.fail_next.pop(0)
            return web.json_response({"message": "failure"}, status=status)
        text = (body.get("textMessage") or {}).get("text") or body.get("message")
        phones = body.get("phoneNumbers") or []
        ttl = body.get("ttl")
        if not text or not phones or (ttl is not None and ttl < 5):
            return web.json_response({"message": "Invalid request"}, status=400)
        message_id = body.get("id") or secrets.token_urlsafe(15)
        if message_id in self._ids:
            return web.json_response({"message": "Message with such ID already exists"}, status=409)
        self._ids.add(message_id)
        for phone in phones:
            self.sent.append(SentSms(message_id, phone, text, ttl, self.clock()))
        return web.json_response(
            {
                "id": message_id,
                "deviceId": DEVICE_ID,
                "state": "Pending",
                "isHashed": False,
                "isEncrypted": False,
                "recipients": [{"phoneNumber": p, "state": "Pending"} for p in phones],
                "states": {},
            },
            status=202,
        )

    async def _export(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != self._auth:
            return web.json_response({"message": "Unauthorized"}, status=401)
        body = await request.json()
        self.exports.append(body)
        since = datetime.fromisoformat(body["since"])
        until = datetime.fromisoformat(body["until"])
        due = [m for m in self.inbox if since <= m.received_at <= until]
        task = asyncio.create_task(self._replay(due))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(status=202)

    async def _replay(self, messages: list[InboxSms]) -> None:
        assert self.phone is not None, "connect the phone first"
        for m in messages:
            try:
                await self.phone.sms(m.sender, m.text, received_at=m.received_at, sim=m.sim)
            except aiohttp.ClientError:
                return  # the bot stopped (the test ended)
