"""The command line's failures: one plain line saying what to do, never a traceback, never the
token, whatever goes wrong (wrong token, Telegram offline, bad arguments), checked on real
`python -m bot` processes against the fake Bot API."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

import pytest

from tests.e2e.processes import clean_env, free_port, run_cli
from tests.fakebot import FakeBotApi

WRONG_TOKEN = "987654321:WRONG-token_NeverPrintMe-0123456789abc"
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (INFO|WARNING) ")


def assert_one_clean_line(out: str, err: str, *secrets: str, logs: bool = False) -> str:
    """Exactly one line on stderr (besides `deskbot run`'s log lines when `logs`), no
    traceback, and no secret in anything printed."""
    for secret in secrets:
        assert secret not in out and secret not in err
        assert secret.split(":", 1)[-1] not in out + err
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    if logs:
        lines = [line for line in lines if not LOG_LINE.match(line)]
    assert len(lines) == 1, err
    return lines[0]


async def _imported(env: dict[str, str], cwd: Path) -> None:
    code, _, err = await run_cli("import-tps", "--kabupaten", "3672", env=env, cwd=cwd)
    assert code == 0, err
    assert "alembic" not in err.lower() and "Context impl" not in err  # no alembic INFO lines


async def test_invite_with_a_wrong_token_says_so_in_one_line(
    api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    env = clean_env(
        DATABASE_URL=db_url, TELEGRAM_BOT_TOKEN=WRONG_TOKEN, TELEGRAM_API_BASE_URL=api.base_url
    )
    await _imported(env, tmp_path)
    code, out, err = await run_cli(
        "invite", "--role", "admin", "--scope", "36", env=env, cwd=tmp_path
    )
    assert code == 2
    line = assert_one_clean_line(out, err, WRONG_TOKEN)
    assert "refused TELEGRAM_BOT_TOKEN" in line and "--bot-username" in line


async def test_invite_offline_says_so_in_one_line(db_url: str, tmp_path: Path) -> None:
    offline = f"http://127.0.0.1:{free_port()}/bot"
    env = clean_env(
        DATABASE_URL=db_url, TELEGRAM_BOT_TOKEN=WRONG_TOKEN, TELEGRAM_API_BASE_URL=offline
    )
    await _imported(env, tmp_path)
    code, out, err = await run_cli(
        "invite", "--role", "admin", "--scope", "36", env=env, cwd=tmp_path
    )
    assert code == 1
    line = assert_one_clean_line(out, err, WRONG_TOKEN)
    assert "cannot be reached" in line and "--bot-username" in line


async def test_arguments_are_checked_before_asking_telegram(
    api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    env = clean_env(
        DATABASE_URL=db_url, TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=api.base_url
    )
    await _imported(env, tmp_path)
    for args, expected in [
        (["--role", "camat", "--scope", "999999"], "not in the imported list"),
        (["--role", "camat", "--scope", "3672"], "needs a scope of level district"),
        (["--role", "tps", "--scope", "abc"], "not a TPS id or region code"),
        (["--role", "tps", "--scope", "367201", "--count", "2"], "--count does not go"),
    ]:
        code, out, err = await run_cli("invite", *args, env=env, cwd=tmp_path)
        assert code != 0
        assert expected in assert_one_clean_line(out, err, api.token), args
    assert api.count("getMe") == 0  # nothing asked Telegram


async def test_the_bot_username_comes_from_telegram_or_the_option(
    api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    env = clean_env(
        DATABASE_URL=db_url, TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=api.base_url
    )
    await _imported(env, tmp_path)
    code, out, err = await run_cli(
        "invite", "--role", "koordinator", "--scope", "3672", env=env, cwd=tmp_path
    )
    assert code == 0, err
    assert out.startswith("https://t.me/desk_pemilu_test_bot?start=")
    assert api.token not in out + err
    offline = clean_env(DATABASE_URL=db_url)  # no token, no network: the option is enough
    code, out, err = await run_cli(
        "invite", "--role", "camat", "--scope", "367201", "--bot-username", "desk_bot",
        env=offline, cwd=tmp_path,
    )  # fmt: skip
    assert code == 0 and out.startswith("https://t.me/desk_bot?start="), err
    code, out, err = await run_cli(
        "invite", "--role", "camat", "--scope", "367201", env=offline, cwd=tmp_path
    )
    assert code == 2
    assert "--bot-username" in assert_one_clean_line(out, err)


async def test_run_with_a_wrong_token_says_so_in_one_line(
    api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    env = clean_env(
        DATABASE_URL=db_url, TELEGRAM_BOT_TOKEN=WRONG_TOKEN, TELEGRAM_API_BASE_URL=api.base_url
    )
    code, out, err = await run_cli("run", env=env, cwd=tmp_path)
    assert code == 2
    line = assert_one_clean_line(out, err, WRONG_TOKEN, logs=True)
    assert "refused TELEGRAM_BOT_TOKEN" in line


async def test_run_offline_migrates_once_and_never_prints_the_token(
    db_url: str, tmp_path: Path
) -> None:
    offline = f"http://127.0.0.1:{free_port()}/bot"
    env = clean_env(
        DATABASE_URL=db_url, TELEGRAM_BOT_TOKEN=WRONG_TOKEN, TELEGRAM_API_BASE_URL=offline
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    retries = 0
    seen: list[str] = []
    while retries < 3:
        line = (await asyncio.wait_for(proc.stderr.readline(), 30)).decode()
        assert line, "".join(seen)
        seen.append(line)
        retries += "Telegram unreachable" in line
    proc.send_signal(signal.SIGINT)
    out, rest = await asyncio.wait_for(proc.communicate(), 30)
    output = "".join(seen) + rest.decode() + out.decode()
    assert proc.returncode == 0, output
    assert WRONG_TOKEN not in output and WRONG_TOKEN.split(":", 1)[1] not in output
    assert "Traceback" not in output
    assert output.count("database migrated") == 1  # once, however often Telegram is retried
    assert "Running upgrade" not in output and "Context impl" not in output


async def test_other_commands_fail_in_one_line(db_url: str, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=db_url)
    for args, expected in [
        (["import-tps", str(tmp_path / "missing.csv")], "no such file"),
        (["export", "--out", str(tmp_path / "x.xlsx"), "--scope", "77"], "not in the imported"),
        (["people", "revoke", "4242"], "not a registered person"),
        (["people", "handover", "3672011001"], "not a TPS id"),
    ]:
        code, out, err = await run_cli(*args, env=env, cwd=tmp_path)
        assert code != 0
        assert expected in assert_one_clean_line(out, err), args


async def test_a_wrong_or_unreachable_database_is_one_line_without_the_password(
    db_url: str, tmp_path: Path
) -> None:
    """A mistyped DATABASE_URL was a traceback (garbage) or a driver's message (sqlite:///,
    postgres+asyncpg); an unreachable server a bare ConnectionRefusedError."""
    password = "pw-NeverPrintMe-4711"
    for url, expected, exit_code in [
        ("garbage", "setting DATABASE_URL: is not a database URL", 2),
        ("sqlite:///./x.db", "'sqlite' is not supported; use sqlite+aiosqlite", 2),
        (f"postgres+asyncpg://desk:{password}@127.0.0.1/x", "'postgres+asyncpg' is not", 2),
        (f"postgresql+asyncpg://desk:{password}@127.0.0.1:{free_port()}/x", "cannot be reached", 1),
        (db_url, None, 0),
    ]:
        code, out, err = await run_cli("tps-lists", env=clean_env(DATABASE_URL=url), cwd=tmp_path)
        assert code == exit_code, (url, err)
        if expected is not None:
            line = assert_one_clean_line(out, err, password)
            assert expected in line and "DATABASE_URL" in line, (url, line)


async def test_a_mistyped_region_code_is_named_as_such(db_url: str, tmp_path: Path) -> None:
    """import-tps said 'no rows match' for every wrong code; invite blamed a typo inside a
    loaded regency on the import."""
    env = clean_env(DATABASE_URL=db_url)
    for args, expected in [
        (["import-tps", "--kabupaten", "9999"], "has no rows for --kabupaten 9999"),
        (["import-tps", "--kabupaten", "367"], "'367' is not a regency/city code (4 digits)"),
        (["import-tps", "--provinsi", "3672"], "for this one use --kabupaten 3672"),
    ]:
        code, out, err = await run_cli(*args, env=env, cwd=tmp_path)
        assert code != 0 and "Traceback" not in err
        assert expected in err, (args, err)
    await _imported(env, tmp_path)
    code, out, err = await run_cli(
        "invite", "--role", "tps", "--scope", "3672019999", "--bot-username", "x",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert code == 1
    line = assert_one_clean_line(out, err)
    assert "no region or TPS 3672019999" in line and "3672 is loaded" in line


async def test_a_missing_or_broken_schedule_stops_run_before_anything_starts(
    api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    """The line came after 'Application started', which reads as success."""
    broken = tmp_path / "broken.toml"
    broken.write_text("election_day = 2026-13-05\n", encoding="utf-8")
    for path, expected in [
        (tmp_path / "missing.toml", "DESK_CONFIG_FILE: cannot read"),
        (broken, "not a valid schedule file"),
    ]:
        env = clean_env(
            DATABASE_URL=db_url, TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.base_url, DESK_CONFIG_FILE=str(path),
        )  # fmt: skip
        code, out, err = await run_cli("run", env=env, cwd=tmp_path)
        assert code == 2
        assert expected in assert_one_clean_line(out, err, api.token)
        assert "started" not in err
