"""kill -9 of a real `deskbot run` process in a burst of one-line check-ins, then a restart.

Like `tests/e2e/test_crash_burst.py`, measured instead of asserted: 300 officers send one line
each at once (polling: queued at the fake for getUpdates; webhook: POSTed in order by a loop
that survives the dead process, as Telegram redelivers), the process is killed with SIGKILL
once a quarter of the lines is stored, a second process starts on the same database, and when
nothing more is owed the lines are counted (`bench.outbox_lines.tally`). The fake Bot API has
Telegram's default limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from domain.outbox import OutStatus
from storage.db import create_engine
from storage.models import Checkin, OutboxMessage
from tests.e2e.processes import BotProcess, clean_env, free_port, spawn
from tests.fakebot import TELEGRAM_DEFAULT_LIMITS, FakeBotApi

from .common import Figure
from .harness import FIRST_USER, sqlite_url
from .outbox_lines import Tally, send_line, tally

LINES = 300
SECRET = "bench-crash-secret"


@dataclass
class Crash:
    """One kill -9 run: the tally and what the database held at the kill."""

    counted: Tally
    stored_at_kill: int
    seconds_to_drain: float

    def notes(self) -> dict[str, Any]:
        return {
            "stored_at_kill": self.stored_at_kill,
            "not_stored": self.counted.not_stored,
            "receipts_missing_not_uncertain": self.counted.lost,
            "still_owed": self.counted.owed,
            "seconds_restart_to_drained": round(self.seconds_to_drain, 1),
            "statuses": self.counted.statuses,
        }


def figures(mode: str, crash: Crash) -> list[Figure]:
    """The crash figures of one mode, for the section's table."""
    c = crash.counted
    return [
        Figure(f"crash {mode}: lines lost (not stored)", c.not_stored, "lines", target="= 0"),
        Figure(f"crash {mode}: lines stored twice", c.stored_twice, "lines", target="= 0"),
        Figure(f"crash {mode}: receipts twice", c.receipted_twice, "lines", target="= 0"),
        Figure(
            f"crash {mode}: receipt rows uncertain (cut off)",
            c.statuses.get(OutStatus.UNCERTAIN.value, 0),
            "rows",
            target="(report)",
        ),
        Figure(
            f"crash {mode}: receipts missing, uncertain", c.uncertain, "lines", target="(report)"
        ),
        Figure(f"crash {mode}: receipts missing, not uncertain", c.lost, "lines", target="= 0"),
    ]


async def _counts(url: str) -> tuple[int, int]:
    """(check-ins stored, outbox rows still owed)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            stored = (await conn.execute(select(func.count()).select_from(Checkin))).scalar_one()
            owed = (
                await conn.execute(
                    select(func.count()).where(
                        OutboxMessage.status.in_((OutStatus.PENDING.value, OutStatus.SENDING.value))
                    )
                )
            ).scalar_one()
        return int(stored), int(owed)
    finally:
        await engine.dispose()


async def _deliver(api: FakeBotApi) -> None:
    """Telegram's webhook delivery: pending updates in order, again later when refused."""
    while True:
        with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
            await api.deliver_webhook_updates()
        await asyncio.sleep(0.1)


async def _until(bot: BotProcess, what: str, timeout: float, check: Any) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} after {timeout:.0f} s:\n{bot.log()[-2000:]}")
        await asyncio.sleep(0.05)


async def run(template: Path, folder: Path, mode: str) -> Crash:
    """One kill -9 run in `mode` ("polling" or "webhook") on a copy of `template`."""
    work = folder / f"crash-{mode}"
    work.mkdir()
    db = work / "crash.sqlite3"
    shutil.copy(template, db)
    url = sqlite_url(work, db.name)
    async with FakeBotApi(**TELEGRAM_DEFAULT_LIMITS, allow_http_webhooks=True) as api:
        officers = [api.user(FIRST_USER + i) for i in range(LINES)]
        port = free_port()
        extra = {"METRICS_PORT": str(port)}
        if mode == "webhook":
            extra = {
                "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
                "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_PORT": str(port),
                "WEBHOOK_ALLOW_HTTP": "true",
            }
        env = clean_env(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.base_url,
            DATABASE_URL=url,
            POLL_TIMEOUT="1",
            LOG_LEVEL="WARNING",
            **extra,
        )
        first = await spawn("first", env, work, http_port=port, plain=True)
        delivery = None
        try:
            await first.wait_role("active", timeout=60)

            async def hooked() -> bool:
                return mode != "webhook" or api.webhook is not None

            await _until(first, "no webhook", 30, hooked)
            if mode == "webhook":
                delivery = asyncio.create_task(_deliver(api))
            lines = [send_line(user, 30) for user in officers]

            async def quarter() -> bool:
                return (await _counts(url))[0] >= LINES // 4

            await _until(first, "nothing stored", 120, quarter)
        finally:
            first.kill()
            await first.proc.wait()
        stored_at_kill, _ = await _counts(url)
        restarted = time.monotonic()
        second = await spawn("second", env, work, http_port=port, plain=True)
        try:
            await second.wait_role("active", timeout=60)

            async def drained() -> bool:
                stored, owed = await _counts(url)
                return stored >= LINES and owed == 0

            await _until(second, "not every line handled", 180, drained)
            drain = time.monotonic() - restarted
        finally:
            if delivery is not None:
                delivery.cancel()
            await second.terminate()
        counted = await tally(url, api, lines)
    return Crash(counted, stored_at_kill, drain)
