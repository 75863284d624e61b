"""The gateway's webhook endpoint, as Starlette routes the bot mounts on its own web server.

Answers (SMS Gateway for Android retries anything not 2xx with exponential backoff for up to
about two days, `domain.sms`):
- 401 without `X-Signature` and `X-Timestamp`; 403 when the signature does not match the raw
  body or the timestamp is outside the freshness window (a replay): never stored;
- 503 while this instance is a standby or stopping (the phone retries; the active one stores);
- 202 once an `sms:received` is stored (committed), 200 for every other signed request,
  including events we do not use and bodies we cannot read (retrying cannot fix those).
Processing (filing, answering) happens after the answer, in the background.
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.sms import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    EnvelopeError,
    Verdict,
    parse_envelope,
    verify,
)
from sms.service import SmsService

log = logging.getLogger(__name__)

DEFAULT_PATH = "/sms/webhook"


def sms_routes(service: SmsService, path: str = DEFAULT_PATH) -> list[Route]:
    """The webhook route; mount it on any Starlette app (`bot.webhook.build_http_app`)."""

    async def webhook(request: Request) -> Response:
        return await receive(request, service)

    return [Route(path, webhook, methods=["POST"])]


async def receive(request: Request, service: SmsService) -> Response:
    """Verify, store, answer: the whole life of one webhook request."""
    body = await request.body()
    verdict = verify(
        service.options.signing_key,
        body,
        signature=request.headers.get(SIGNATURE_HEADER),
        timestamp=request.headers.get(TIMESTAMP_HEADER),
        now=service.clock(),
        window_seconds=service.options.signature_window.total_seconds(),
    )
    if verdict is not Verdict.OK:
        log.warning("SMS webhook refused: %s", verdict.value)
        service.hooks.count_webhook(verdict.value)
        return Response(status_code=401 if verdict is Verdict.UNSIGNED else 403)
    if not service.active:
        return Response(status_code=503)
    try:
        envelope = parse_envelope(json.loads(body))
        result = await service.accept(envelope)
    except (ValueError, EnvelopeError) as exc:
        log.warning("SMS webhook: signed but not understood (%s); acknowledged", exc)
        return JSONResponse({"result": "ignored"}, status_code=200)
    service.hooks.count_webhook(envelope.event)
    return JSONResponse({"result": result}, status_code=202 if result == "stored" else 200)
