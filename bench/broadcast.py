"""Broadcast benchmark: the achieved send rate against the configured pace, the busiest second
where Telegram counts, and how long an officer waits for an answer while a broadcast runs,
next to the same wait without one; then the rate and busiest second with Telegram a 0.25 s
round trip away (SQLite).

Runs the real bot (`bot.runner`) against the fake Bot API server with Telegram's flood limits
enforced (30/s per bot, 1/s per chat), on SQLite, and on PostgreSQL when TEST_POSTGRES_URL is set
(`make bench` starts one).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from bench.common import Figure, Options, Section
from domain.roles import Role
from tests.conftest import FakeClock
from tests.e2e.broadcasting import add_officers, compose, deliveries_of, send_now, wait_done
from tests.e2e.conftest import CITY, Desk, open_desk

RATE = 25.0  # the default BROADCAST_RATE
PROBE_EVERY = 0.5  # seconds between an officer's commands while measuring
FAR_LATENCY = 0.25  # seconds before Telegram counts a call: a 0.25 s round trip (Indonesia)


async def _probe(desk: Desk, officers: list[int], samples: int) -> list[float]:
    """Officers send /bantuan one after another; seconds until each answer reached Telegram."""
    waits = []
    for n in range(samples):
        user = desk.api.user(officers[n % len(officers)])
        mark = desk.api.mark()
        started = time.time()
        user.send_text("/bantuan")
        answer = await desk.api.wait_for(
            "sendMessage",
            chat_id=user.id,
            after=mark,
            predicate=lambda r: "Desk Pemilu Bot" in str(r.params.get("text", "")),
            timeout=30,
        )
        waits.append(answer.time - started)
        await asyncio.sleep(max(0.0, PROBE_EVERY - (time.time() - started)))
    return waits


def _quantiles(waits: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(waits, n=20, method="inclusive")
    return {"p50_ms": statistics.median(waits) * 1000, "p95_ms": cuts[18] * 1000}


async def _run(db_url: str, recipients: int, samples: int) -> dict[str, Any]:
    async with open_desk(db_url, FakeClock(), api_options={"flood_limits": True}) as desk:
        officers = await add_officers(desk, recipients, first_id=9_000_000)
        admin = desk.new_user("Admin Bench")
        await desk.member(admin, Role.ADMIN, CITY)
        quiet = await _probe(desk, officers[-20:], samples)
        await asyncio.sleep(3)  # let the chat windows of the probe empty
        desk.api.state.flood.enabled = False  # composing is not what is measured
        bid, summary = await compose(desk, admin, "Bench <b>siaran</b>", "all")
        desk.api.state.flood.enabled = True
        desk.api.state.flood.reset()
        await send_now(desk, admin, summary, bid)
        await asyncio.sleep(2)
        busy = await _probe(desk, officers[:20], samples)
        await wait_done(desk, bid, timeout=recipients / RATE * 3 + 60)
        times = sorted(
            r.time
            for r in desk.api.requests
            if r.method.lower() == "sendmessage" and r.ok and _is_broadcast(r.params, bid)
        )
        once = deliveries_of(desk, bid) == dict.fromkeys(officers, 1)
        achieved = (len(times) - 1) / (times[-1] - times[0])
        return {
            "peak_second": desk.api.peak_sends(proactive_only=True),
            "recipients": recipients,
            "delivered": len(times),
            "each_once": once,
            "configured_rate": RATE,
            "achieved_rate": round(achieved, 2),
            "share_of_cap_pct": round(100 * achieved / RATE, 1),
            "rate_limited_429": desk.api.rate_limited_count,
            "reply_without_broadcast": _rounded(_quantiles(quiet)),
            "reply_during_broadcast": _rounded(_quantiles(busy)),
            "reply_p50_ratio": round(statistics.median(busy) / statistics.median(quiet), 2),
        }


async def _far(db_url: str, recipients: int, latency: float) -> dict[str, Any]:
    """The same broadcast with Telegram `latency` seconds away (each call waits that long
    before the fake counts it, as a long way out does): the achieved rate and the busiest
    second where Telegram counts."""
    async with open_desk(db_url, FakeClock(), api_options={"flood_limits": True}) as desk:
        officers = await add_officers(desk, recipients, first_id=9_000_000)
        admin = desk.new_user("Admin Bench")
        await desk.member(admin, Role.ADMIN, CITY)
        desk.api.state.flood.enabled = False
        bid, summary = await compose(desk, admin, "Bench <b>siaran</b>", "all")
        desk.api.state.flood.enabled = True
        desk.api.state.flood.reset()
        desk.api.set_latency(latency)
        await send_now(desk, admin, summary, bid)
        await wait_done(desk, bid, timeout=recipients / RATE * 3 + 60)
        times = sorted(
            r.flood.at
            for r in desk.api.requests
            if r.flood is not None and r.ok and _is_broadcast(r.params, bid)
        )
        return {
            "latency_s": latency,
            "achieved_rate": round((len(times) - 1) / (times[-1] - times[0]), 2),
            "peak_second": desk.api.peak_sends(proactive_only=True),
            "rate_limited_429": desk.api.rate_limited_count,
            "each_once": deliveries_of(desk, bid) == dict.fromkeys(officers, 1),
        }


def _is_broadcast(params: dict[str, Any], bid: int) -> bool:
    markup = params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return any(b.get("callback_data") == f"ack:{bid}" for row in rows for b in row)


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in values.items()}


@asynccontextmanager
async def _database(backend: str) -> AsyncIterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    base = make_url(os.environ["TEST_POSTGRES_URL"])
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"deskbot_bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


async def _main(quick: bool) -> dict[str, Any]:
    recipients, samples = (300, 20) if quick else (3_000, 40)
    backends = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_POSTGRES_URL") else [])
    results: dict[str, Any] = {}
    for backend in backends:
        async with _database(backend) as url:
            results[backend] = await _run(url, recipients, samples)
    async with _database("sqlite") as url:
        results["far"] = await _far(url, recipients // 3, FAR_LATENCY)
    return results


async def run(options: Options) -> Section:
    """The broadcast section for `python -m bench`: send rate against the cap, reply waits."""
    section = Section("broadcast")
    results = await _main(options.quick)
    far = results.pop("far")
    for backend, fig in results.items():
        section.figures.append(
            Figure(
                f"{backend}: achieved send rate (msg/s)",
                fig["achieved_rate"],
                "msg/s",
                baseline=fig["configured_rate"],
                target=">= 0.95, no 429",
            )
        )
        section.figures.append(
            Figure(f"{backend}: 429 answers", fig["rate_limited_429"], "", target="= 0")
        )
        section.figures.append(
            Figure(
                f"{backend}: officer reply p50 during broadcast (ms)",
                fig["reply_during_broadcast"]["p50_ms"],
                "ms",
                baseline=fig["reply_without_broadcast"]["p50_ms"],
            )
        )
        section.figures.append(
            Figure(
                f"{backend}: officer reply p95 during broadcast (ms)",
                fig["reply_during_broadcast"]["p95_ms"],
                "ms",
                baseline=fig["reply_without_broadcast"]["p95_ms"],
            )
        )
        section.figures.append(
            Figure(
                f"{backend}: busiest second at Telegram (msg)",
                fig["peak_second"],
                "msg",
                baseline=fig["configured_rate"],
                target="ratio <= 1",
            )
        )
        section.notes[f"{backend}.recipients"] = fig["recipients"]
        section.notes[f"{backend}.each_reached_once"] = fig["each_once"]
    section.figures.append(
        Figure(
            "sqlite, 0.25 s round trip: achieved send rate (msg/s)",
            far["achieved_rate"],
            "msg/s",
            baseline=RATE,
            target=">= 0.95, no 429",
        )
    )
    section.figures.append(
        Figure(
            "sqlite, 0.25 s round trip: busiest second at Telegram (msg)",
            far["peak_second"],
            "msg",
            baseline=RATE,
            target="ratio <= 1",
        )
    )
    section.notes["far"] = far
    section.notes["baseline"] = "send rate: the configured cap; replies: same probe, no broadcast"
    return section


def main(quick: bool) -> dict[str, Any]:
    """Run the broadcast benchmark; return its figures per database backend."""
    return asyncio.run(_main(quick))
