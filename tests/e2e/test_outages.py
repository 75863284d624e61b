"""`deskbot run` started while the database or Telegram is unreachable waits and retries
instead of crashing (systemd would otherwise restart it in a tight loop)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot import runner
from bot.config import Settings
from tests.e2e.processes import free_port
from tests.fakebot import FakeBotApi


async def _waits_then_stops(
    settings: Settings, caplog: pytest.LogCaptureFixture, what: str
) -> None:
    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="bot.runner"):
        task = asyncio.create_task(runner.serve(settings, stop))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while f"{what} unreachable" not in caplog.text:
            assert not task.done(), task.result()
            assert loop.time() < deadline, caplog.text
            await asyncio.sleep(0.05)
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0


async def test_waits_for_an_unreachable_database(
    api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=api.token,
        telegram_api_base_url=api.base_url,
        database_url=f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/nothing",
    )
    await _waits_then_stops(settings, caplog, "database")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_waits_for_an_unreachable_telegram(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token="123456:NOWHERE",
        telegram_api_base_url=f"http://127.0.0.1:{free_port()}/bot",
        database_url=db_url,
    )
    await _waits_then_stops(settings, caplog, "Telegram")
