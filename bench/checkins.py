"""Simulated officers file complete check-ins over HTTP, one-line and guided, next to a bare
python-telegram-bot echo bot answering the same number of people and messages."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from storage.db import create_engine
from storage.models import Checkin
from tests.fakebot import FakeUser

from .common import BenchApi, Figure, Options, Section
from .harness import FIRST_USER, closed_loop, desk_bot, echo_bot, prepare_database, sqlite_url

GUIDED = ["40", "no", "no", "yes", "_skip", "send"]  # /banjir, then these buttons
LINES = ["BANJIR {n} BISA", "SIAP 06:{n:02d} 7", "SINYAL LEMAH TSEL MANUAL"]


def _button(api: BenchApi, chat_id: int, value: str) -> tuple[dict[str, object], str]:
    message = api.state.outgoing_messages(chat_id)[-1]
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for b in row:
            if str(b.get("callback_data", "")).split(":")[-1] == value:
                return message, str(b["callback_data"])
    raise RuntimeError(f"no button {value} for {chat_id}")


def _press(api: BenchApi, user: FakeUser, value: str) -> Callable[[], object]:
    def act() -> object:
        message, data = _button(api, user.id, value)
        return user.press(message, data)

    return act


def _say(user: FakeUser, body: str) -> Callable[[], object]:
    return lambda: user.send_text(body)


async def _timed(
    api: BenchApi, scripts: dict[int, list[Callable[[], object]]]
) -> tuple[float, int]:
    calls_before = api.active_calls
    started = time.perf_counter()
    await asyncio.gather(*(closed_loop(api, chat, acts) for chat, acts in scripts.items()))
    return time.perf_counter() - started, api.active_calls - calls_before


async def _count(url: str, source: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            stmt = select(func.count()).select_from(Checkin).where(Checkin.source == source)
            return int((await conn.execute(stmt)).scalar_one())
    finally:
        await engine.dispose()


async def run(options: Options) -> Section:
    users = 40 if options.quick else options.users
    lines = 2 if options.quick else options.lines
    section = Section("checkins")
    with tempfile.TemporaryDirectory() as folder:
        url = sqlite_url(Path(folder), "bench.sqlite3")
        await prepare_database(url, regencies=["3672"], officers=users)
        async with BenchApi(flood_limits=False) as api:
            api.set_latency(options.latency)
            people = [api.user(FIRST_USER + i) for i in range(users)]
            async with desk_bot(api, url):
                quick = {
                    u.id: [_say(u, LINES[k % len(LINES)].format(n=k + 1)) for k in range(lines)]
                    for u in people
                }
                quick_s, quick_calls = await _timed(api, quick)
                guided = {
                    u.id: [_say(u, "/banjir"), *(_press(api, u, v) for v in GUIDED)] for u in people
                }
                guided_s, guided_calls = await _timed(api, guided)
        quick_done, guided_done = await _count(url, "quick"), await _count(url, "guided")
    steps = len(GUIDED) + 1
    async with BenchApi(flood_limits=False) as echo_api:
        echo_api.set_latency(options.latency)
        echoers = [echo_api.user(FIRST_USER + i) for i in range(users)]
        async with echo_bot(echo_api):
            echo_quick_s, _ = await _timed(
                echo_api, {u.id: [_say(u, f"echo {k}") for k in range(lines)] for u in echoers}
            )
            echo_guided_s, _ = await _timed(
                echo_api, {u.id: [_say(u, f"echo {k}") for k in range(steps)] for u in echoers}
            )
    quick_updates, guided_updates = users * lines, users * steps
    section.figures += [
        Figure("one-line: check-ins per second", quick_done / quick_s, "/s"),
        Figure(
            "one-line: updates per second (vs echo bot)",
            quick_updates / quick_s,
            "/s",
            baseline=quick_updates / echo_quick_s,
            target="ratio >= 1.0",
        ),
        Figure(
            "one-line: Bot API calls per check-in",
            quick_calls / max(quick_done, 1),
            "calls",
            target="= 1",
        ),
        Figure("guided: check-ins per second", guided_done / guided_s, "/s"),
        Figure(
            "guided: updates per second (vs echo bot)",
            guided_updates / guided_s,
            "/s",
            baseline=guided_updates / echo_guided_s,
            target="ratio >= 1.0",
        ),
        Figure(
            "guided: Bot API calls per check-in",
            guided_calls / max(guided_done, 1),
            "calls",
            target=f"<= {len(GUIDED) + 2} (steps + 1)",
        ),
    ]
    section.notes = {
        "users": users,
        "lines_per_user": lines,
        "guided_updates_per_check_in": steps,
        "latency_s": options.latency,
        "quick_check_ins": quick_done,
        "guided_check_ins": guided_done,
        "database": "sqlite",
    }
    return section
