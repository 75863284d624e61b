"""`/healthz`: can this instance reach its database and Telegram, and is it the active one?

Answers JSON `{"role": ..., "database": "ok"|"error", "telegram": "ok"|"error"}` with
200 only when the instance is active and both are reachable, 503 otherwise, so a proxy or a
monitor that only looks at the status sends traffic to the active instance alone.

The database is asked on every request (`SELECT 1`, at most 3 s); Telegram at most every
`TELEGRAM_TTL` seconds (`getMe`, or `getWebhookInfo` in webhook mode, which also shows
Telegram's last delivery error), so a monitor polling every second costs one Bot API call
per half minute.
"""

from __future__ import annotations

import asyncio
import logging
import time
from enum import StrEnum
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot

log = logging.getLogger(__name__)

TELEGRAM_TTL = 30.0
DATABASE_TIMEOUT = 3.0
TELEGRAM_TIMEOUT = 5.0


class Role(StrEnum):
    STANDBY = "standby"
    ACTIVE = "active"
    STOPPING = "stopping"


class Health:
    """Shared by the HTTP endpoints and the runner, which moves `role` along."""

    def __init__(self, engine: AsyncEngine, bot: Bot, *, webhook_url: str | None) -> None:
        self.engine = engine
        self.bot = bot
        self.webhook_url = webhook_url
        self.role = Role.STANDBY
        self._telegram: tuple[float, bool, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    @property
    def active(self) -> bool:
        return self.role is Role.ACTIVE

    async def database_ok(self) -> bool:
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("health: database unreachable (%s)", type(exc).__name__)
            return False
        return True

    async def telegram(self) -> tuple[bool, dict[str, Any]]:
        async with self._lock:
            cached = self._telegram
            if cached is not None and time.monotonic() - cached[0] < TELEGRAM_TTL:
                return cached[1], cached[2]
            ok, detail = await self._ask_telegram()
            self._telegram = (time.monotonic(), ok, detail)
            return ok, detail

    async def _ask_telegram(self) -> tuple[bool, dict[str, Any]]:
        try:
            async with asyncio.timeout(TELEGRAM_TIMEOUT):
                if self.webhook_url is None:
                    await self.bot.get_me()
                    return True, {}
                info = await self.bot.get_webhook_info()
        except Exception as exc:
            log.warning("health: Telegram unreachable (%s)", type(exc).__name__)
            return False, {}
        detail: dict[str, Any] = {"pending_updates": info.pending_update_count}
        if info.last_error_message:
            detail["last_webhook_error"] = info.last_error_message
        return True, detail

    async def report(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) for `/healthz`."""
        database, (telegram, detail) = await asyncio.gather(self.database_ok(), self.telegram())
        body: dict[str, Any] = {
            "role": self.role.value,
            "database": "ok" if database else "error",
            "telegram": "ok" if telegram else "error",
            **detail,
        }
        healthy = self.active and database and telegram
        return (200 if healthy else 503), body
