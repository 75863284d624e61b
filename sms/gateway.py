"""Talking to the gateway phone's API through the `android-sms-gateway` client (PyPI).

Why the official client: it speaks both modes with one base URL (local server
`http://<phone>:8080`, cloud `https://api.sms-gate.app/3rdparty/v1`), builds the send body
(`textMessage`, `phoneNumbers`, `id`, `ttl`, `simNumber`, `withDeliveryReport`) and maps error
statuses to exceptions; we give it our own `httpx.AsyncClient` (timeouts, one pool).

What the gateway does (capcom6/android-sms-gateway at 0cdc5d8, `localserver/WebService.kt`,
`routes/MessagesRoutes.kt`, `domain/messages/PostMessageRequest.kt`, api/swagger.json):
- `POST /message` (also `/messages`), basic auth (user and password shown in the app), body as
  above; answers 202 with `{id, state: Pending|Processed|Sent|Delivered|Failed, recipients}`;
  400 for a bad request, 401 without the right credentials, and 409 when a message with this
  `id` already exists. We send our queue row's id as `id`, so a retry after a lost answer gets
  409 instead of a second SMS: we record 409 as sent.
- `ttl` (seconds, at least 5): the phone drops the message if it cannot send it in time.
- `POST /messages/inbox/export` `{deviceId, since, until}` makes the phone deliver the SMS it
  received in that period again as `sms:received` webhooks (`triggerWebhooks` defaults to true
  on this route; the newer `/inbox/refresh` defaults to false). Used to catch up after an
  outage; the inbound dedupe key makes the redelivery harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from android_sms_gateway import AsyncAPIClient, Message, MessagesExportRequest, TextMessage
from android_sms_gateway.ahttp import HttpxAsyncHttpClient
from android_sms_gateway.errors import APIError

from sms.ports import SendError

log = logging.getLogger(__name__)

MIN_TTL_SECONDS = 5  # the gateway refuses less (swagger: ttl minimum 5)


@dataclass
class GatewayConfig:
    base_url: str
    username: str
    password: str = field(repr=False)  # never logged
    sim_number: int | None = None
    timeout_seconds: float = 15.0


class HttpGateway:
    """The gateway phone's API (local or cloud mode) through `android_sms_gateway`."""

    def __init__(self, config: GatewayConfig) -> None:
        self._config = config
        self._http = httpx.AsyncClient(timeout=config.timeout_seconds)
        self._client = AsyncAPIClient(
            config.username,
            config.password,
            base_url=config.base_url,
            http_client=HttpxAsyncHttpClient(self._http),
        )

    async def send(self, message_id: str, phone: str, text: str, *, ttl_seconds: int) -> str:
        """Hand one SMS to the phone; raise `SendError` (transient or not) if it refused."""
        message = Message(
            phone_numbers=[phone],
            text_message=TextMessage(text=text),
            id=message_id,
            ttl=max(MIN_TTL_SECONDS, ttl_seconds),
            sim_number=self._config.sim_number,
            with_delivery_report=False,
        )
        try:
            state = await self._client.send(message)
        except APIError as exc:
            status = exc.status_code or 0
            if status == 409:  # our id is already on the phone: an earlier try got through
                return message_id
            transient = status >= 500 or status in (401, 403, 408, 429)
            raise SendError(f"gateway answered {status}", transient=transient) from None
        except (httpx.HTTPError, OSError) as exc:
            raise SendError(f"gateway unreachable ({type(exc).__name__})", transient=True) from None
        except (KeyError, ValueError) as exc:  # an answer the client could not read: it took it
            log.warning("gateway answer not understood (%s); counting it as sent", exc)
            return message_id
        return str(state.id)

    async def export_inbox(self, device_id: str, since: datetime, until: datetime) -> None:
        """Ask the phone to deliver again what it received between `since` and `until`."""
        try:
            await self._client.export_inbox(
                MessagesExportRequest(device_id=device_id, since=since, until=until)
            )
        except APIError as exc:
            raise SendError(f"inbox export answered {exc.status_code}", transient=True) from None
        except (httpx.HTTPError, OSError) as exc:
            raise SendError(f"gateway unreachable ({type(exc).__name__})", transient=True) from None

    async def close(self) -> None:
        await self._http.aclose()
