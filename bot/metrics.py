"""Counters for `/metrics` (Prometheus text format), kept in one place.

- `deskbot_updates_total`: updates the application handled (polling and webhook alike);
- `deskbot_checkins_total`: check-ins committed to the database, counted where a check-in is
  stored (`storage.filing.store_checkin`, through `storage.counters`);
- `deskbot_telegram_requests_total{bot,method,outcome}`: every Bot API call, by how it ended
  (`ok`, `error`, `rate_limited`, `network`);
- `deskbot_telegram_sends_total{bot,method}`: calls that put something in front of a person
  (send/edit/copy/forward/answerCallbackQuery) and succeeded;
- `deskbot_telegram_429_total{bot,method}`: Telegram's flood control answers;
  (`bot`: the bot's numeric id, the public part of its token: a desk may run several bots,
  each with its own limits; `deskbot bots` names them)
- `deskbot_is_leader`: 1 while this process is the active instance;
- `deskbot_broadcast_paid_messages_total`: broadcast messages sent paid
  (`allow_paid_broadcast`, 0.1 Telegram Star each; defined in `reminders.broadcast_worker`);
- `deskbot_sms_sent_total{purpose,outcome}`: SMS handed to the gateway phone (`sent`), refused
  for good (`failed`) or put back for a retry (`retry`), by purpose (receipt, problem, unknown,
  reminder): each `sent` is one SMS part on the desk's SIM bill;
- `deskbot_sms_webhooks_total{what}`: gateway webhooks by event, or why they were refused.

The metric objects are created once per process (prometheus_client's registry is process-wide);
nothing here touches the network.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest
from telegram.error import NetworkError, TimedOut

from bot.request import AiohttpRequest
from storage.counters import CHECKINS

log = logging.getLogger(__name__)

UPDATES = Counter("deskbot_updates_total", "Updates handled by the application")
REQUESTS = Counter(
    "deskbot_telegram_requests_total", "Bot API calls by outcome", ["bot", "method", "outcome"]
)
SENDS = Counter(
    "deskbot_telegram_sends_total", "Messages sent, edited or answered", ["bot", "method"]
)
RATE_LIMITED = Counter(
    "deskbot_telegram_429_total", "Bot API calls answered 429", ["bot", "method"]
)
SMS_SENT = Counter(
    "deskbot_sms_sent_total", "SMS handed to the gateway phone, by outcome", ["purpose", "outcome"]
)
SMS_WEBHOOKS = Counter("deskbot_sms_webhooks_total", "SMS gateway webhooks", ["what"])
IS_LEADER = Gauge("deskbot_is_leader", "1 while this process is the active instance")

__all__ = ["CHECKINS", "CONTENT_TYPE", "CountingRequest", "render"]

SEND_PREFIXES = ("send", "edit", "copy", "forward", "answercallbackquery")
CONTENT_TYPE = CONTENT_TYPE_LATEST


def render() -> bytes:
    """The current values in Prometheus text format."""
    return generate_latest()


def count_update() -> None:
    UPDATES.inc()


def count_sms(purpose: str, outcome: str) -> None:
    """Count one outgoing SMS by purpose and outcome (`sent`, `failed`, `retry`)."""
    SMS_SENT.labels(purpose, outcome).inc()


def count_sms_webhook(what: str) -> None:
    SMS_WEBHOOKS.labels(what).inc()


def set_leader(active: bool) -> None:
    IS_LEADER.set(1 if active else 0)


def count_telegram(method: str, status: int | None, bot: str = "") -> None:
    """Count one Bot API call of bot `bot` (its numeric id); `status` None means the network
    failed."""
    name = method or "unknown"
    if status is None:
        outcome = "network"
    elif status == 429:
        outcome = "rate_limited"
        RATE_LIMITED.labels(bot, name).inc()
    elif 200 <= status < 300:
        outcome = "ok"
        if name.lower().startswith(SEND_PREFIXES):
            SENDS.labels(bot, name).inc()
    else:
        outcome = "error"
    REQUESTS.labels(bot, name, outcome).inc()


def method_of(url: str) -> str:
    """`https://host/bot<TOKEN>/sendMessage` -> `sendMessage` (never the token)."""
    return url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


def bot_of(url: str) -> str:
    """`https://host/bot123456:SECRET/sendMessage` -> `123456`: the bot's public id, never the
    secret part of its token ("" when the URL has none)."""
    parts = url.rstrip("/").split("?", 1)[0].rsplit("/", 2)
    if len(parts) < 2 or not parts[-2].startswith("bot"):
        return ""
    head = parts[-2][3:].split(":", 1)[0]
    return head if head.isdigit() else ""


class CountingRequest(AiohttpRequest):
    """The bot's HTTP client (`bot.request`), counting every Bot API call with its outcome."""

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
        name, bot = method_of(url), bot_of(url)
        try:
            status, payload = await super().do_request(url, method, *args, **kwargs)
        except (NetworkError, TimedOut):
            count_telegram(name, None, bot)
            raise
        count_telegram(name, status, bot)
        return status, payload
