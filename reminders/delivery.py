"""Sending one claimed part to one chat: claim first, send, record the outcome.

Outcomes: `sent`; `failed` (Telegram refused: blocked, chat gone, bad request); `unknown` (a
timeout: Telegram may have delivered it, so it is never retried). `RetryAfter` waits and tries
again: the claim is ours and nothing was delivered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError, TimedOut

from handlers.context import Services
from storage import people, schedules

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 5


async def deliver(
    services: Services,
    slot_id: int,
    chat_id: int,
    part: str,
    send: Callable[[], Awaitable[Any]],
) -> str | None:
    """Claim and send one part; None if an earlier run already claimed it."""
    async with services.transaction() as session:
        claimed = await schedules.claim_delivery(session, slot_id, chat_id, part, services.clock())
    if not claimed:
        return None
    status, error = "sent", None
    for attempt in range(MAX_RETRY_AFTER + 1):
        try:
            await send()
            break
        except RetryAfter as exc:
            if attempt == MAX_RETRY_AFTER:
                status, error = "failed", f"retry after {exc.retry_after}"
                break
            delay = exc.retry_after
            await asyncio.sleep(delay.total_seconds() if hasattr(delay, "total_seconds") else delay)
        except TimedOut as exc:
            status, error = "unknown", str(exc)
            break
        except Forbidden as exc:
            status, error = "failed", exc.message
            if chat_id > 0:
                async with services.transaction() as session:
                    await people.set_reachable(session, chat_id, False, services.clock())
            break
        except (BadRequest, TelegramError) as exc:
            log.warning("slot %s: sending %s to %s failed: %s", slot_id, part, chat_id, exc)
            status, error = "failed", exc.message
            break
    async with services.transaction() as session:
        await schedules.finish_delivery(
            session, slot_id, chat_id, part, status=status, now=services.clock(), error=error
        )
    pace = float(services.extras.get("send_interval", 0.035))
    if pace:
        await asyncio.sleep(pace)
    return status
