"""`deskbot bots` as real `python -m bot` runs against the fake Telegram: listing the desk's
bots with their regencies and load, adding one (its token from standard input, never printed),
pinning regencies, removing it; invites linking to the bot serving their scope; and mistakes
answered in one plain line that changes nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.e2e.processes import clean_env, run_cli
from tests.fakebot import FakeBotApi

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

SECOND_TOKEN = "654321:SECOND-secret-token"
SECOND = "desk_pemilu_kedua_bot"
FIRST = "desk_pemilu_test_bot"


def one_line(out: str, err: str) -> str:
    """The single line a failing command prints, with no traceback and no token."""
    assert "Traceback" not in out + err
    assert SECOND_TOKEN not in out + err and SECOND_TOKEN.split(":")[1] not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


async def test_bots_are_listed_added_pinned_and_removed(
    api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    api.add_bot(SECOND_TOKEN, SECOND)
    env = clean_env(
        DATABASE_URL=db_url, TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=api.base_url
    )
    for regency in ("3672", "3673"):  # Kota Cilegon (1,247 TPS), Kota Serang (the larger)
        code, _, err = await run_cli("import-tps", "--kabupaten", regency, env=env, cwd=tmp_path)
        assert code == 0, err

    code, out, err = await run_cli("bots", env=env, cwd=tmp_path)
    assert code == 0, err
    assert f"1. @{FIRST}" in out and "regencies: 2 (3672, 3673)" in out and "TPS: " in out

    # The first bot may be given regencies before the desk ever ran.
    code, out, err = await run_cli("bots", "pin", f"@{FIRST}", "3673", env=env, cwd=tmp_path)
    assert code == 0, err
    assert f"@{FIRST} now serves the pinned regencies 3673" in out

    # Mistakes change nothing.
    code, out, err = await run_cli("bots", "add", "--regions", "36", env=env, cwd=tmp_path)
    assert code != 0 and "4 digits" in one_line(out, err)
    code, out, err = await run_cli(
        "bots", "add", env=env, cwd=tmp_path, stdin="654321:WRONG-token\n"
    )
    assert code == 2 and "refused" in one_line(out, err)
    code, out, err = await run_cli(
        "bots", "add", "--regions", "3699", env=env, cwd=tmp_path, stdin=SECOND_TOKEN + "\n"
    )
    assert code != 0 and "3699" in one_line(out, err)
    code, out, err = await run_cli("bots", env=env, cwd=tmp_path)
    assert SECOND not in out

    # Added with Kota Cilegon pinned to it; the token never shows.
    code, out, err = await run_cli(
        "bots", "add", "--regions", "3672", env=env, cwd=tmp_path, stdin=SECOND_TOKEN + "\n"
    )
    assert code == 0, err
    assert f"added @{SECOND}" in out
    assert SECOND_TOKEN not in out + err
    code, out, err = await run_cli("bots", env=env, cwd=tmp_path)
    assert code == 0, err
    first, second = out.split("2. ")
    assert "regencies: 1 (3673*)" in first
    assert f"@{SECOND}" in second and "regencies: 1 (3672*)" in second
    assert "* pinned" in out and SECOND_TOKEN not in out

    # Invites link to the bot serving their scope.
    code, out, err = await run_cli(
        "invite", "--role", "tps", "--scope", "367201", env=env, cwd=tmp_path
    )
    assert code == 0, err
    links = [row["link"] for row in csv.DictReader(io.StringIO(out))]
    assert links and all(link.startswith(f"https://t.me/{SECOND}?start=") for link in links)
    code, out, err = await run_cli(
        "invite", "--role", "camat", "--scope", "367301", env=env, cwd=tmp_path
    )
    assert code == 0, err
    assert out.startswith(f"https://t.me/{FIRST}?start=")
    code, out, err = await run_cli("people", "handover", "3672011001-001", env=env, cwd=tmp_path)
    assert code == 0, err
    assert out.splitlines()[-1].startswith(f"https://t.me/{SECOND}?start=")

    # Pinned elsewhere: Kota Serang to the second bot as well.
    code, out, err = await run_cli("bots", "pin", f"@{SECOND}", "3673", env=env, cwd=tmp_path)
    assert code == 0, err
    assert f"@{SECOND} now serves the pinned regencies 3672, 3673" in out
    code, out, err = await run_cli("bots", env=env, cwd=tmp_path)
    assert "regencies: 2 (3672*, 3673*)" in out.split("2. ")[1]
    code, out, err = await run_cli("bots", "pin", "@nobody_bot", "3673", env=env, cwd=tmp_path)
    assert code != 0 and "no bot '@nobody_bot'" in one_line(out, err)

    # The settings' bot cannot be removed here; the added one can.
    code, out, err = await run_cli("bots", "remove", f"@{FIRST}", env=env, cwd=tmp_path)
    assert code != 0 and "TELEGRAM_BOT_TOKEN" in one_line(out, err)
    code, out, err = await run_cli("bots", "remove", f"@{SECOND}", env=env, cwd=tmp_path)
    assert code == 0 and f"removed @{SECOND}" in out, err
    code, out, err = await run_cli("bots", env=env, cwd=tmp_path)
    assert SECOND not in out and "regencies: 2 (3672, 3673)" in out


async def test_a_refused_extra_token_is_named_by_its_bot_not_as_the_first(
    api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    env = clean_env(
        DATABASE_URL=db_url,
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        TELEGRAM_EXTRA_BOT_TOKENS="999999:BAD-secret-zzzzzz",
    )
    code, out, err = await run_cli("run", env=env, cwd=tmp_path, wait=60)
    line = [x for x in err.splitlines() if x.strip()][-1]
    assert code == 2, err
    assert "999999" in line and "deskbot bots remove 999999" in line
    assert "BAD-secret" not in out + err and "Traceback" not in out + err
    code, out, err = await run_cli("bots", env=env, cwd=tmp_path)
    assert code == 2 and "999999" in one_line(out, err)
