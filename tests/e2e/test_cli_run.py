"""The front door: `deskbot run` as a real process, the way `make run` starts it."""

from __future__ import annotations

import asyncio
import csv
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from storage.db import create_engine
from tests.e2e.processes import clean_env, run_cli
from tests.fakebot import FakeBotApi


async def _run(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    return await run_cli(*args, env=env, cwd=cwd)


async def test_run_without_a_token_stops_at_once_with_instructions(tmp_path: Path) -> None:
    code, _, err = await _run("run", env=clean_env(), cwd=tmp_path)
    assert code == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in err
    assert "@BotFather" in err and ".env" in err
    assert not (tmp_path / "data").exists()  # nothing was created


async def test_run_polls_migrates_and_stops_cleanly_on_ctrl_c(
    api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    env = clean_env(
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        DATABASE_URL=db_url,
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await api.wait_polling(timeout=30)
        stranger = api.user(4242, first_name="Tamu")
        stranger.send_text("/start")
        reply = await api.wait_for("sendMessage", chat_id=4242, timeout=15)
        assert "belum terdaftar" in reply.params["text"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    logs = err.decode()
    assert proc.returncode == 0, logs
    assert "started (long polling)" in logs and "bot stopped" in logs
    assert logs.count("no desk schedule: no reminder, escalation or digest") == 1
    assert api.token not in logs and api.token not in out.decode()
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert {"alembic_version", "tps", "person", "invite", "desk_group", "audit_log"} <= tables


async def test_invite_command_writes_links_and_refuses_bad_scopes(
    db_url: str, tmp_path: Path
) -> None:
    env = clean_env(DATABASE_URL=db_url)
    code, out, _ = await _run("import-tps", "--kabupaten", "3672", env=env, cwd=tmp_path)
    assert code == 0 and "1247 TPS" in out
    code, out, _ = await _run(
        "invite",
        "--role",
        "tps",
        "--scope",
        "3672011001-3",
        "--count",
        "2",
        "--bot-username",
        "desk_bot",
        env=env,
        cwd=tmp_path,
    )
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 2 and all(
        line.startswith("https://t.me/desk_bot?start=") for line in lines
    )
    out_file = tmp_path / "camat.csv"
    code, out, _ = await _run(
        "invite",
        "--role",
        "camat",
        "--scope",
        "367201",
        "--count",
        "3",
        "--out",
        str(out_file),
        "--bot-username",
        "desk_bot",
        env=env,
        cwd=tmp_path,
    )
    assert code == 0 and "wrote 3 invite(s)" in out
    with out_file.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["scope"] for r in rows] == ["367201"] * 3
    assert all(r["link"] == f"https://t.me/desk_bot?start={r['code']}" for r in rows)
    for scope, message in [
        ("3672", "needs a scope of level district"),
        ("999999", "not in the imported list"),
        ("abc", "not a TPS id"),
    ]:
        code, _, err = await _run(
            "invite",
            "--role",
            "camat",
            "--scope",
            scope,
            "--bot-username",
            "desk_bot",
            env=env,
            cwd=tmp_path,
        )
        assert code != 0 and message in err, (scope, err)


@pytest.mark.parametrize(
    "command", ["run", "migrate", "import-tps", "tps-lists", "invite", "export", "people"]
)
async def test_every_command_has_help(command: str, tmp_path: Path) -> None:
    code, out, _ = await _run(command, "--help", env=clean_env(), cwd=tmp_path)
    assert code == 0 and f"usage: deskbot {command}" in out
