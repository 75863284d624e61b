"""`deskbot run` as a real process in production settings: JSON logs without secrets, webhook
mode end to end with a clean SIGTERM, and one instance per SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.processes import clean_env, free_port, spawn
from tests.fakebot import FakeBotApi

SECRET = "json-logs_Secret-42"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_json_logs_carry_no_token_or_secret(
    api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = clean_env(
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        DATABASE_URL=db_url,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_PORT=str(port),
        WEBHOOK_ALLOW_HTTP="true",
        LOG_FORMAT="json",
        LOG_LEVEL="DEBUG",  # the most talkative level: still no secrets
    )
    bot = await spawn("json", env, tmp_path, http_port=port, plain=True)
    try:
        await bot.wait_role("active")
        api.user(6001).send_text("/start")
        assert await api.deliver_webhook_updates() == [200]
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://127.0.0.1:{port}/hook",
                data=b"{}",
                headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
            ) as resp,
        ):
            assert resp.status == 403
        # A malformed update is logged (with its traceback) and skipped.
        api.push_update({"message": {"chat": "nonsense"}})
        assert await api.deliver_webhook_updates() == [200]
    finally:
        code = await bot.terminate()
    output = bot.log()
    assert code == 0, output
    lines = [line for line in output.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"ts", "level", "logger", "msg"} <= set(e) for e in entries)
    messages = [e["msg"] for e in entries]
    assert any("started (webhook)" in m for m in messages)
    assert any("malformed" in m for m in messages)
    assert messages[-1] == "bot stopped"
    assert api.token not in output
    assert api.token.split(":", 1)[1] not in output
    assert SECRET not in output


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_second_instance_on_one_sqlite_file_is_refused(
    api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = clean_env(
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        DATABASE_URL=db_url,
        METRICS_PORT=str(port),
    )
    first = await spawn("first", env, tmp_path, http_port=port, plain=True)
    try:
        await first.wait_role("active")
        second = await spawn(
            "second", {**env, "METRICS_PORT": str(free_port())}, tmp_path, http_port=0, plain=True
        )
        assert await second.proc.wait() == 1
        assert "already running" in second.log()
        status, body = await first.health()
        assert status == 200 and body == {"role": "active", "database": "ok", "telegram": "ok"}
    finally:
        assert await first.terminate() == 0, first.log()
