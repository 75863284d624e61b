"""Three real `deskbot run` processes share a desk's two bots through PostgreSQL (HOLD_BOTS=1):
each bot has one holder, the desk's schedule has one; the holder of the second bot is killed
with SIGKILL and the spare process takes that bot over within the standby target (10 s).

The takeover time (kill -> the second bot answered an update sent right after the kill) is
printed. Nothing is answered twice, and nothing through the wrong bot.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.processes import BotProcess, clean_env, free_port, spawn
from tests.fakebot import FakeBotApi

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

ANNOUNCE_CHAT = -100778
SECOND_TOKEN = "654321:SECOND-token"
FIRST, SECOND = "desk_pemilu_test_bot", "desk_pemilu_kedua_bot"
TAKEOVER_TARGET = 10.0


def announcements(api: FakeBotApi) -> list[str]:
    return [m.get("text", "") for m in api.messages_to(ANNOUNCE_CHAT)]


async def start(api: FakeBotApi, db_url: str, tmp_path: Path, name: str) -> BotProcess:
    port = free_port()
    env = clean_env(
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_EXTRA_BOT_TOKENS=SECOND_TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        DATABASE_URL=db_url,
        ANNOUNCE_CHAT=str(ANNOUNCE_CHAT),
        METRICS_PORT=str(port),
        HOLD_BOTS="1",
    )
    return await spawn(name, env, tmp_path, http_port=port)


async def test_processes_share_the_bots_and_a_spare_takes_over_a_killed_holder(
    api: FakeBotApi, db_url: str, tmp_path: Path
) -> None:
    second = api.add_bot(SECOND_TOKEN, SECOND)
    api.add_chat(ANNOUNCE_CHAT, "supergroup", title="Desk")
    procs: list[BotProcess] = []
    try:
        # One after the other: "a" takes the first bot (and the desk's schedule), "b" the
        # second; "c" finds nothing free and stands by.
        for name in ("a", "b"):
            procs.append(await start(api, db_url, tmp_path, name))
            await procs[-1].wait_role("active")
        a, b = procs
        assert f"holding @{FIRST}" in a.log() and f"holding @{SECOND}" not in a.log()
        assert f"holding @{SECOND}" in b.log() and f"holding @{FIRST}" not in b.log()
        c = await start(api, db_url, tmp_path, "c")
        procs.append(c)
        await c.wait_role("standby")
        status, body = await c.health()
        assert status == 503 and body["role"] == "standby"
        assert announcements(api) == [f"background on {a.pid}"]  # the schedule runs once

        before = second.user(6001, first_name="Ani")
        before.send_text("/start")
        await second.wait_for("sendMessage", chat_id=6001, timeout=15)

        b.kill()
        killed = time.monotonic()
        after = second.user(6002, first_name="Budi")
        after.send_text("/start")
        await second.wait_for("sendMessage", chat_id=6002, timeout=TAKEOVER_TARGET)
        takeover = time.monotonic() - killed
        print(f"\nsecond bot taken over in {takeover:.2f} s from SIGKILL to the first reply")
        assert await b.proc.wait() == -9
        await c.wait_role("active", timeout=5)
        assert f"holding @{SECOND}" in c.log() and f"holding @{FIRST}" not in c.log()

        await api.wait_idle(timeout=10)
        assert second.count("sendMessage", chat_id=6001) == 1
        assert second.count("sendMessage", chat_id=6002) == 1
        # The first bot never wrote to the second bot's people.
        assert api.count("sendMessage", chat_id=6001) == 0
        assert api.count("sendMessage", chat_id=6002) == 0
        assert announcements(api) == [f"background on {a.pid}"]
    finally:
        for proc in procs:
            if proc.proc.returncode is None:
                await proc.terminate()
    for proc in (procs[0], procs[-1]):
        assert proc.proc.returncode == 0, proc.log()
        assert "bot stopped" in proc.log()
