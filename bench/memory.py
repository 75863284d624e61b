"""The bot's memory with a big desk loaded and many conversations open at once.

Jawa Barat (province 32, 140,327 TPS) goes into a SQLite file (cached under bench/results/),
10,000 officers are registered, the bot runs alone in a subprocess, and every officer opens
/banjir and answers the first step, so 10,000 drafts sit mid-way. The baseline is the same
process right after start-up, before anyone writes.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from storage.db import create_engine
from storage.models import Conversation

from .checkins import _button
from .common import BenchApi, Figure, Options, Section
from .harness import FIRST_USER, prepare_database, sqlite_url

CACHE = Path(__file__).resolve().parent / "results" / "cache"
TARGET_MB = 300


async def _database(folder: Path, quick: bool, officers: int) -> tuple[str, str]:
    region = "3273" if quick else "32"  # Kota Bandung for smoke runs; all of Jawa Barat
    cached = CACHE / f"memory-{region}-{officers}.sqlite3"
    if not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        scratch = CACHE / f"building-{region}.sqlite3"
        scratch.unlink(missing_ok=True)
        keys = {"regencies": [region]} if quick else {"provinces": [region]}
        await prepare_database(sqlite_url(CACHE, scratch.name), officers=officers, **keys)  # type: ignore[arg-type]
        scratch.replace(cached)
    target = folder / "memory.sqlite3"
    shutil.copyfile(cached, target)
    return sqlite_url(folder, target.name), region


async def _wait_calls(api: BenchApi, method: str, count: int, limit: float) -> None:
    deadline = time.monotonic() + limit
    while api.count(method) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{api.count(method)} of {count} {method} after {limit}s")
        await asyncio.sleep(0.2)


async def run(options: Options) -> Section:
    count = 1000 if options.quick else options.conversations
    section = Section("memory")
    folder = CACHE.parent / "memory-run"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    url, region = await _database(folder, options.quick, count)
    async with BenchApi(flood_limits=False) as api:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.botproc", url, api.base_url, api.token,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None

        async def ask(command: str) -> dict[str, float]:
            assert proc.stdin is not None and proc.stdout is not None
            if command:
                proc.stdin.write(f"{command}\n".encode())
                await proc.stdin.drain()
            return dict(json.loads(await proc.stdout.readline()))

        started = await ask("")
        people = [api.user(FIRST_USER + i) for i in range(count)]
        for user in people:
            user.send_text("/banjir")
        await _wait_calls(api, "sendMessage", count, limit=600)
        for user in people:
            message, data = _button(api, user.id, "40")
            user.press(message, data)
        await _wait_calls(api, "editMessageText", count, limit=600)
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                open_now = int(
                    (
                        await conn.execute(
                            select(func.count())
                            .select_from(Conversation)
                            .where(Conversation.step == "usable")
                        )
                    ).scalar_one()
                )
        finally:
            await engine.dispose()
        loaded = await ask("rss")
        stopped = await ask("stop")
        await proc.wait()
    shutil.rmtree(folder, ignore_errors=True)
    section.figures += [
        Figure(
            f"resident memory, {count} conversations open",
            loaded["peak_rss_mb"],
            "MB",
            baseline=started["rss_mb"],
            target=f"<= {TARGET_MB} MB",
        ),
        Figure("open conversations (mid-step, in the database)", open_now, "drafts"),
    ]
    section.notes = {
        "region": region,
        "rss_after_start_mb": round(started["rss_mb"], 1),
        "peak_rss_mb": round(loaded["peak_rss_mb"], 1),
        "rss_at_stop_mb": round(stopped["rss_mb"], 1),
    }
    return section
