"""The bot's memory with a big desk loaded and many conversations open at once.

`make bench BENCH_ARGS=memory`: Jawa Barat (province 32, 140,327 TPS) goes into a SQLite file
(cached under bench/results/), 10,000 officers are registered, the bot runs alone in a subprocess
(`bench.botproc`), and every officer opens /banjir and answers the first step, so 10,000 drafts
sit mid-way. The baseline is the same process right after start-up, before anyone writes.

`make bench BENCH_ARGS='memory --country'`: the issue's case. The whole country (818,339 TPS,
83,731 villages) and 50,000 officers are imported into a fresh SQLite file in a temporary folder
(built once per run, through the same `prepare_database` as every section; the time it took is
kept in the notes), then 50,000 officers each stop mid-way through a guided check-in. The figure
is the bot process's peak resident memory (VmHWM from /proc/self/status) against the 400 MB
target; its baseline is the same bot process, measured in the same run, started on an empty desk
(migrated, nothing imported) and read once it is ready. `--conversations N` changes how many
conversations are opened in either case.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import Conversation

from .checkins import _button
from .common import BenchApi, Figure, Options, Section
from .harness import FIRST_USER, prepare_database, sqlite_url

CACHE = Path(__file__).resolve().parent / "results" / "cache"
TARGET_MB = 300
COUNTRY_TARGET_MB = 400
COUNTRY_CONVERSATIONS = 50_000
PROVINCE_CONVERSATIONS = 10_000


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


async def _open_drafts(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            stmt = (
                select(func.count()).select_from(Conversation).where(Conversation.step == "usable")
            )
            return int((await conn.execute(stmt)).scalar_one())
    finally:
        await engine.dispose()


@dataclass
class Measured:
    """What one bot process reported (MB) and how long opening the conversations took (s)."""

    started: dict[str, float]
    loaded: dict[str, float]
    stopped: dict[str, float]
    open_s: float


async def measure_bot(url: str, conversations: int) -> Measured:
    """Start `bench.botproc` on `url`, have the first `conversations` registered officers open
    /banjir and answer its first step, and read the process's memory before and after."""
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
        began = time.perf_counter()
        limit = max(600.0, conversations * 0.05)
        people = [api.user(FIRST_USER + i) for i in range(conversations)]
        for user in people:
            user.send_text("/banjir")
        await _wait_calls(api, "sendMessage", conversations, limit=limit)
        for user in people:
            message, data = _button(api, user.id, "40")
            user.press(message, data)
        await _wait_calls(api, "editMessageText", conversations, limit=limit)
        open_s = time.perf_counter() - began
        loaded = await ask("rss")
        stopped = await ask("stop")
        await proc.wait()
    return Measured(started, loaded, stopped, open_s)


async def _province(options: Options) -> Section:
    count = 1000 if options.quick else (options.conversations or PROVINCE_CONVERSATIONS)
    section = Section("memory")
    folder = CACHE.parent / "memory-run"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    url, region = await _database(folder, options.quick, count)
    got = await measure_bot(url, count)
    open_now = await _open_drafts(url)
    shutil.rmtree(folder, ignore_errors=True)
    section.figures += [
        Figure(
            f"resident memory, {count} conversations open",
            got.loaded["peak_rss_mb"],
            "MB",
            baseline=got.started["rss_mb"],
            target=f"<= {TARGET_MB} MB",
        ),
        Figure("open conversations (mid-step, in the database)", open_now, "drafts"),
    ]
    section.notes = {
        "region": region,
        "rss_after_start_mb": round(got.started["rss_mb"], 1),
        "peak_rss_mb": round(got.loaded["peak_rss_mb"], 1),
        "rss_at_stop_mb": round(got.stopped["rss_mb"], 1),
    }
    return section


async def _country(options: Options) -> Section:
    count = options.conversations or (1000 if options.quick else COUNTRY_CONVERSATIONS)
    section = Section("memory")
    with tempfile.TemporaryDirectory(prefix="deskbot-memory-") as tmp:
        folder = Path(tmp)
        empty = sqlite_url(folder, "empty.sqlite3")
        engine = create_engine(empty)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()
        baseline = await measure_bot(empty, 0)
        url = sqlite_url(folder, "country.sqlite3")
        began = time.perf_counter()
        tps = await prepare_database(url, officers=count)
        import_s = time.perf_counter() - began
        got = await measure_bot(url, count)
        open_now = await _open_drafts(url)
        size_mb = (folder / "country.sqlite3").stat().st_size / 2**20
    section.figures += [
        Figure(
            f"country: peak memory, {count} conversations open",
            got.loaded["peak_rss_mb"],
            "MB",
            baseline=baseline.started["peak_rss_mb"],
            target=f"<= {COUNTRY_TARGET_MB} MB",
        ),
        Figure("country: memory after start, nobody writing", got.started["rss_mb"], "MB",
               baseline=baseline.started["rss_mb"]),
        Figure("country: open conversations (mid-step, stored)", open_now, "drafts"),
        Figure("country: import of every TPS and officer", import_s, "s"),
    ]  # fmt: skip
    section.notes = {
        "case": "country",
        "officers_on_distinct_tps": len(tps),
        "database_mb": round(size_mb, 1),
        "empty_desk_rss_after_start_mb": round(baseline.started["rss_mb"], 1),
        "rss_after_start_mb": round(got.started["rss_mb"], 1),
        "rss_with_conversations_mb": round(got.loaded["rss_mb"], 1),
        "peak_rss_mb": round(got.loaded["peak_rss_mb"], 1),
        "rss_at_stop_mb": round(got.stopped["rss_mb"], 1),
        "opening_conversations_s": round(got.open_s, 1),
        "import_s": round(import_s, 1),
        "memory": "the bot's own process (VmRSS/VmHWM from /proc), not the load or fake API",
    }
    return section


async def run(options: Options) -> Section:
    """The memory section: Jawa Barat and 10,000 drafts, or the country and 50,000 with
    `--country`."""
    return await (_country(options) if options.country else _province(options))
