"""Receiving updates through trouble: one log line per failed getUpdates, never a traceback
(PTB logged about 100 lines for a three-second blip, ~30 every few seconds for a Conflict)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.e2e.conftest import Desk


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.exc_text]


async def test_an_outage_while_polling_is_one_line_per_try_and_no_traceback(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    desk.api.outage(2.0, status=502)
    await asyncio.sleep(3.5)
    siti = desk.new_user("Siti")
    await desk.say(siti, "/start")  # receiving works again
    assert "belum terdaftar" in desk.last_text(siti.id)
    said = [r.getMessage() for r in caplog.records if r.name == "bot.runner"]
    assert any("Telegram unreachable while receiving" in m for m in said), said
    # ... and one line when it is back, so an operator can tell when it recovered
    back = [r.getMessage() for r in caplog.records if r.name == "bot.lenient"]
    assert len([m for m in back if "Telegram reachable again" in m]) == 1, back
    assert _tracebacks(caplog) == []


async def test_a_second_program_polling_the_same_token_is_named_once_per_try(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    desk.api.fail_next(
        "getUpdates",
        status=409,
        description="Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    )
    await asyncio.sleep(2.0)
    said = [r.getMessage() for r in caplog.records if r.name == "bot.runner"]
    assert any("only one deskbot may run per token" in m for m in said), said
    assert _tracebacks(caplog) == []
