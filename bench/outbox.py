"""The outbox under load, on the quiet path and through a kill -9 (issue 9).

1. Overload: one-line check-ins offered open-loop at twice the cap for 60 s (quick: 10 s)
   against the fake Bot API with Telegram's STRICT limits (replies held to the per-bot cap
   too, the worst case), the bot's `send_rate` set to the same cap: first the bot as shipped,
   which learns from Telegram's first 429 that replies are held and probes again after its
   paced while (each costs a pause of `retry_after`), then a bot told so by PACE_REPLIES;
   then the same load with the DEFAULT limits (replies not capped). The cap is `--cap`
   (default 2/s, far below Telegram's 30/s, so that the sender and not this shared machine is
   what limits; `--cap 30` is Telegram's).
2. Quiet path: one officer at a time, line -> receipt at the fake, against an estimate of
   today's direct reply (the same round trip minus the durable steps, `bench.durable_steps`)
   and against a bare python-telegram-bot echo bot answering directly (no database).
3. Crash: `bench.outbox_crash`.

Everything runs on SQLite files copied from one prepared database.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.fakebot import TELEGRAM_DEFAULT_LIMITS, TELEGRAM_STRICT_LIMITS, FakeUser

from . import outbox_crash
from .common import BenchApi, Figure, Options, Section
from .durable_steps import Steps, timed_steps
from .harness import FIRST_USER, desk_bot, echo_bot, prepare_database, sqlite_url
from .outbox_lines import Line, Tally, offer, percentile, receipts_sent, send_line, tally

SPACING = 20.0  # seconds between two lines of the same officer (Telegram: ~1/s per chat)


async def _overload(
    template: Path,
    folder: Path,
    limits: dict[str, Any],
    *,
    cap: float,
    seconds: float,
    latency: float,
    pace_replies: bool = False,
) -> tuple[Tally, float]:
    """Offer 2 x cap lines a second for `seconds`, wait for the backlog to drain; the tally and
    the seconds from the first line to the last receipt. `pace_replies`: the bot's
    PACE_REPLIES (replies under the cap from the start, for a Telegram known to hold them)."""
    db = folder / f"overload-{int(limits['cap_replies'])}-{int(pace_replies)}.sqlite3"
    shutil.copy(template, db)
    url = sqlite_url(folder, db.name)
    rate = 2 * cap
    total = round(rate * seconds)
    officers_n = min(total, max(1, round(rate * SPACING)))
    async with BenchApi(**{**limits, "per_bot_rate": cap}) as api:
        api.set_latency(latency)
        officers = [api.user(FIRST_USER + i) for i in range(officers_n)]
        async with desk_bot(api, url, send_rate=cap, pace_replies=pace_replies):
            lines = await offer(officers, rate=rate, seconds=seconds)
            for _ in range(round((seconds * 1.5 + 60) / 0.5)):  # the backlog drains
                if receipts_sent(api) >= total:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(1.0)  # outcomes recorded, nothing more owed
        counted = await tally(url, api, lines, cap=cap)
        counted.statuses["429s answered"] = api.count_429()
        counted.statuses["429s to sendMessage"] = api.count_429("sendMessage")
        counted.statuses["peak accepted sends in 1 s"] = api.peak_sends(proactive_only=False)
    span = max(counted.last_receipt - min(line.at for line in lines), 1e-9)
    return counted, span


async def _round_trips(
    api: BenchApi, officers: list[FakeUser], rounds: int, steps: Steps | None = None
) -> list[tuple[float, float]]:
    """One officer at a time: send a line, wait for the answer. Per round (first three are
    warm-up, left out): seconds from the line to the answer's arrival at the fake, and the
    seconds of it spent in the durable steps (`bench.durable_steps`; 0 without `steps`)."""
    trips = []
    for n in range(rounds + 3):
        user = officers[n % len(officers)]
        answered = api.expect(user.id)
        line: Line = send_line(user, n)
        record = await asyncio.wait_for(answered, 30)
        if n >= 3:
            durable = steps.durable(user.id, record.time) if steps is not None else 0.0
            trips.append((record.time - line.at, durable))
    return trips


async def _quiet(
    template: Path, folder: Path, rounds: int, latency: float
) -> tuple[list[tuple[float, float]], list[float]]:
    """Round trips of the desk bot (with durable steps) and of the echo bot."""
    db = folder / "quiet.sqlite3"
    shutil.copy(template, db)
    async with BenchApi(**TELEGRAM_DEFAULT_LIMITS) as api:
        api.set_latency(latency)
        officers = [api.user(FIRST_USER + i) for i in range(rounds + 3)]
        with timed_steps() as steps:
            async with desk_bot(api, sqlite_url(folder, db.name)):
                desk = await _round_trips(api, officers, rounds, steps)
    async with BenchApi(**TELEGRAM_DEFAULT_LIMITS) as api:
        api.set_latency(latency)
        officers = [api.user(FIRST_USER + i) for i in range(rounds + 3)]
        async with echo_bot(api):
            echo = [trip for trip, _ in await _round_trips(api, officers, rounds)]
    return desk, echo


def _overload_figures(strict: Tally, span: float, cap: float, name: str = "strict") -> list[Figure]:
    """The overload's figures; `name` says which run (the default bot discovering that
    Telegram holds replies to the cap, or one told so by PACE_REPLIES)."""
    figures = [
        Figure("strict: lines lost", strict.lost, "lines", target="= 0"),
        Figure(
            "strict: duplicates (receipts + check-ins)",
            strict.receipted_twice + strict.stored_twice,
            "lines",
            target="= 0",
        ),
        Figure(
            "strict: receipts delivered",
            strict.receipted,
            "lines",
            baseline=strict.lines,
            target="ratio = 1",
        ),
        Figure("strict: unhandled 429", strict.unhandled_429, "rows", target="= 0"),
        Figure(
            "strict: achieved send rate (vs cap)",
            strict.receipted / span,
            "/s",
            baseline=cap,
            target="ratio >= 0.95",
        ),
        Figure(
            "strict: receipt p95 latency (vs backlog/cap)",
            percentile(strict.latencies, 0.95),
            "s",
            baseline=percentile(strict.bounds, 0.95),
            target="ratio <= 1",
        ),
    ]
    for figure in figures:
        figure.name = figure.name.replace("strict", name, 1)
    return figures


async def run(options: Options) -> Section:
    cap = options.cap
    seconds = 10.0 if options.quick else 60.0
    rounds = 20 if options.quick else 40
    section = Section("outbox")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        template = folder / "template.sqlite3"
        officers = max(round(2 * cap * SPACING), rounds + 3, outbox_crash.LINES)
        await prepare_database(sqlite_url(folder, template.name), regencies=["3672"],
                               officers=officers)  # fmt: skip
        phases: dict[str, float] = {}
        started = time.monotonic()

        def lap(name: str) -> None:
            nonlocal started
            phases[name], started = time.monotonic() - started, time.monotonic()

        strict, strict_span = await _overload(
            template, folder, TELEGRAM_STRICT_LIMITS, cap=cap, seconds=seconds,
            latency=options.latency,
        )  # fmt: skip
        lap("overload_strict")
        paced, paced_span = await _overload(
            template, folder, TELEGRAM_STRICT_LIMITS, cap=cap, seconds=seconds,
            latency=options.latency, pace_replies=True,
        )  # fmt: skip
        lap("overload_strict_paced")
        default, default_span = await _overload(
            template, folder, TELEGRAM_DEFAULT_LIMITS, cap=cap, seconds=seconds,
            latency=options.latency,
        )  # fmt: skip
        lap("overload_default")
        desk, echo = await _quiet(template, folder, rounds, options.latency)
        lap("quiet")
        crashes = {}
        for mode in ("polling", "webhook"):
            crashes[mode] = await outbox_crash.run(template, folder, mode)
            lap(f"crash_{mode}")
    trips = [trip for trip, _ in desk]
    direct = [trip - durable for trip, durable in desk]
    section.figures += _overload_figures(strict, strict_span, cap)
    section.figures += _overload_figures(paced, paced_span, cap, "strict, PACE_REPLIES")
    section.figures += [
        Figure(
            "default: receipts per second (vs offered)",
            default.receipted / default_span,
            "/s",
            baseline=2 * cap,
            target="ratio ~ 1 (process-bound)",
        ),
        Figure("default: lines lost", default.lost, "lines", target="= 0"),
        Figure(
            "quiet: round trip median (vs est. direct reply)",
            statistics.median(trips) * 1000,
            "ms",
            baseline=statistics.median(direct) * 1000,
            target="ratio <= 1.2",
        ),
        Figure(
            "quiet: round trip median (vs echo bot)",
            statistics.median(trips) * 1000,
            "ms",
            baseline=statistics.median(echo) * 1000,
            target="(echo: no database)",
        ),
        Figure(
            "quiet: round trip p95 (vs echo bot)",
            percentile(trips, 0.95) * 1000,
            "ms",
            baseline=percentile(echo, 0.95) * 1000,
        ),
        Figure(
            "quiet: durable steps median (inbox + claim)",
            statistics.median(d for _, d in desk) * 1000,
            "ms",
        ),
    ]
    for mode, crash in crashes.items():
        section.figures += outbox_crash.figures(mode, crash)
    section.notes = {
        "cap_per_s": cap,
        "offered_per_s": 2 * cap,
        "offered_seconds": seconds,
        "lines_offered": strict.lines,
        "strict_statuses": strict.statuses,
        "strict_paced_statuses": paced.statuses,
        "default_statuses": default.statuses,
        "strict_not_stored": strict.not_stored,
        "default_p95_latency_s": round(percentile(default.latencies, 0.95), 3),
        "quiet_rounds": rounds,
        "latency_s": options.latency,
        "quiet_baseline": "est. direct reply = outbox round trip minus inbox commit and claim "
        "(bench.durable_steps); echo = bare PTB echo bot replying directly, no database",
        **{f"crash_{mode}": crash.notes() for mode, crash in crashes.items()},
        "database": "sqlite",
        "phase_seconds": {name: round(spent, 1) for name, spent in phases.items()},
    }
    return section
