"""Digest build time on a province's worth of check-ins, against one bare SQL aggregate.

For Banten (33,276 TPS) and Jawa Barat (140,327 TPS) on SQLite: the regions and TPS are
imported with the bot's own import, then a full day of check-ins is written (every TPS files
logistik, siap, banjir and sinyal once, a fifth of them correct one of those, some floods,
blank spots and incidents). Timed, median of several runs on a warm database:

- `digest`: the figures (all aggregate queries and the roll-up) plus the text, what a
  scheduled digest or /rekap computes before sending;
- `raw`: `SELECT kind, regency_code, count(*) FROM checkin WHERE is_current GROUP BY ...`
  in the same run, the yardstick; `ratio` = digest / raw;
- `chart` and `xlsx`: the attachments, timed separately (`xlsx`: reading and writing the
  check-in export of the province's current check-ins, which is the digest's spreadsheet).

Targets: Jawa Barat's digest in at most 0.5 s and at most 1.5 times the raw aggregate.
The seeded databases are cached under `.cache/bench/` (`make clean` removes them).

`make bench BENCH_ARGS='digest --country'` (opt-in: the first run seeds for about two minutes)
times the national desk instead: all 818,339 TPS of the country, imported with the bot's own
import, and the same day of check-ins (about 3.5 million rows, copied in with COPY) on
PostgreSQL (the server of `.ci/postgres.sh`). The nation's digest (scope "": one row per
province, what a national desk's scheduled digest or /rekap computes) against the same raw
aggregate; targets at most 2 s and at most 1.5x. The seeded database is kept in that server as
`deskbot_bench_national_<version>` while the server's data folder lasts; the seconds seeding
took are reported (0 when reused). No chart or spreadsheet for the nation.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import national
from bench.common import Figure, Options, Section
from domain.masterdata import parse_tps_file
from domain.regions import NATION
from storage import digest as digest_service
from storage import export, regions
from storage import figures as counting
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from views import desk as render
from views import exports

REPO = Path(__file__).resolve().parent.parent
TPS_FILE = REPO / "data/reference/tps_pemilu2024.csv.gz"
CACHE = REPO / ".cache/bench"
SEED_VERSION = "digest-v4"  # v4: migration 0013's index
PROVINCES = {"36": "Banten", "32": "Jawa Barat"}
TARGET_SECONDS = 0.5
NATIONAL_SECONDS = 2.0
TARGET_RATIO = 1.5
DAY = datetime(2024, 2, 13, 23, 0, tzinfo=UTC)  # 06:00 WIB on election day


def _rows(tps_ids: list[str], rng: random.Random) -> list[tuple[Any, ...]]:
    """A day of check-ins: (tps, kind, version, is_current, severity, payload, time)."""
    rows: list[tuple[Any, ...]] = []
    for tps in tps_ids:
        filings: list[tuple[str, str, str]] = [("logistik", "ok", "{}"), ("siap", "ok", "{}")]
        water = rng.random()
        if water < 0.01:
            filings.append(("banjir", "severe", '{"water_cm": 110, "usable": false}'))
        elif water < 0.06:
            filings.append(("banjir", "warn", '{"water_cm": 30, "usable": true}'))
        else:
            filings.append(("banjir", "ok", '{"water_cm": 0, "usable": true}'))
        signal = rng.random()
        level, sev = (
            ("none", "severe")
            if signal < 0.08
            else ("weak", "warn")
            if signal < 0.23
            else ("good", "ok")
        )
        filings.append(("sinyal", sev, f'{{"level": "{level}"}}'))
        if rng.random() < 0.02:
            resolved = "true" if rng.random() < 0.5 else "false"
            filings.append(("kejadian", "warn", f'{{"resolved": {resolved}, "severity": "low"}}'))
        corrected = rng.choice(filings[:4]) if rng.random() < 0.2 else None
        for kind, severity, payload in filings:
            at = DAY - timedelta(minutes=rng.randrange(24 * 60))
            if corrected is not None and corrected[0] == kind:
                rows.append((tps, kind, 1, 0, "warn", payload, at))
                rows.append((tps, kind, 2, 1, severity, payload, at + timedelta(minutes=30)))
            else:
                rows.append((tps, kind, 1, 1, severity, payload, at))
    return rows


async def _build(path: Path, province: str) -> None:
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    try:
        await upgrade(engine)
        data = parse_tps_file(TPS_FILE, provinces=[province])
        async with create_sessionmaker(engine).begin() as session:
            await regions.import_masterdata(session, data)
    finally:
        await engine.dispose()
    connection = sqlite3.connect(path)
    try:
        tps_ids = [r[0] for r in connection.execute("SELECT id FROM tps ORDER BY id")]
        rows = _rows(tps_ids, random.Random(int(province)))
        connection.executemany(
            "INSERT INTO checkin (tps_id, kind, version, is_current, district_code, regency_code,"
            " province_code, severity, payload, source, relayed, sent_at, received_at, dedupe_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'guided', 0, ?, ?, ?)",
            (
                (
                    t,
                    k,
                    v,
                    c,
                    t[:6],
                    t[:4],
                    t[:2],
                    s,
                    p,
                    a.strftime("%Y-%m-%d %H:%M:%S.%f"),
                    a.strftime("%Y-%m-%d %H:%M:%S.%f"),
                    uuid.uuid4().hex,
                )
                for t, k, v, c, s, p, a in rows
            ),
        )
        connection.commit()
        connection.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()


async def _database(province: str) -> tuple[Path, float]:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{SEED_VERSION}-{province}.sqlite3"
    if path.exists():
        return path, 0.0
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    for leftover in CACHE.glob(f"{partial.name}*"):
        leftover.unlink()
    await _build(partial, province)
    partial.rename(path)
    return path, time.perf_counter() - started


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


async def _measure(province: str, runs: int) -> dict[str, Any]:
    path, built = await _database(province)
    figures = await _time_digest(f"sqlite+aiosqlite:///{path}", province, runs, attachments=True)
    return {**figures, "seed_s": built}


async def _time_digest(url: str, scope: str, runs: int, *, attachments: bool) -> dict[str, Any]:
    """Median seconds of the digest build and of the raw aggregate on `url` (interleaved, each
    after a warm-up); with `attachments`, also the chart and the spreadsheet once."""
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    digest_times: list[float] = []
    raw_times: list[float] = []
    sheets: Any = None
    read_s = 0.0
    try:
        async with sessions() as session:
            setup = await digest_service.desk_setup(session)
            tps = (await regions.counts(session, scope))["tps"]
            checkins = (await session.execute(_count_sql())).scalar_one()
        for _ in range(runs + 1):  # the first of each is a warm-up
            async with sessions() as session:
                started = time.perf_counter()
                figures = await digest_service.build(session, scope, setup=setup, now=DAY)
                messages = render.digest_messages("id", figures, None, zone=setup.zone)
                digest_times.append(time.perf_counter() - started)
            async with sessions() as session:
                started = time.perf_counter()
                await counting.raw_aggregate(session)
                raw_times.append(time.perf_counter() - started)
        if attachments:
            async with sessions() as session:
                started = time.perf_counter()
                sheets = await export.checkin_sheets(session, scope, current_only=True)
                read_s = time.perf_counter() - started
    finally:
        await engine.dispose()
    digest_s, raw_s = _median(digest_times[1:]), _median(raw_times[1:])
    result: dict[str, Any] = {
        "tps": tps,
        "checkins": checkins,
        "digest_s": digest_s,
        "raw_s": raw_s,
        "ratio": digest_s / raw_s if raw_s else float("inf"),
        "digest_runs": [round(t, 3) for t in digest_times[1:]],
        "raw_runs": [round(t, 3) for t in raw_times[1:]],
        "rows": len(figures.rows),
        "messages": len(messages),
        "longest_message": max(len(m) for m in messages),
    }
    if attachments:
        started = time.perf_counter()
        picture = render.render_chart(figures, "id")
        result["chart_s"] = time.perf_counter() - started
        started = time.perf_counter()
        book = exports.workbook(sheets, "id", "pemilu2024")
        result["xlsx_s"] = read_s + time.perf_counter() - started
        result["png_bytes"], result["xlsx_bytes"] = len(picture), len(book)
    return result


def _count_sql() -> Any:
    from sqlalchemy import func, select

    from storage.models import Checkin

    return select(func.count()).select_from(Checkin)


async def _national(runs: int) -> dict[str, Any]:
    """The nation on PostgreSQL: seeded (or reused) database, then the timed digest."""
    url, built = await national.database(TPS_FILE, _rows)
    figures = await _time_digest(url, NATION, runs, attachments=False)
    return {**figures, "seed_s": built}


async def run(options: Options) -> Section:
    """The digest section for `python -m bench`: build time against the bare aggregate, for
    Banten and Jawa Barat on SQLite, or with `--country` for the nation on PostgreSQL."""
    section = Section("digest")
    if options.country:
        return await _run_national(section, 3 if options.quick else 9)
    for code in ["36"] if options.quick else ["36", "32"]:
        figures = await _measure(code, 3 if options.quick else 7)
        name = PROVINCES[code]
        target = f"<= {TARGET_RATIO}x" + (f", <= {TARGET_SECONDS} s" if code == "32" else "")
        section.figures.append(
            Figure(
                f"{name}: digest build (s)",
                figures["digest_s"],
                "s",
                baseline=figures["raw_s"],
                target=target,
            )
        )
        section.figures.append(Figure(f"{name}: chart picture (s)", figures["chart_s"], "s"))
        section.figures.append(Figure(f"{name}: spreadsheet (s)", figures["xlsx_s"], "s"))
        section.notes[f"{name}.tps"] = figures["tps"]
        section.notes[f"{name}.checkins"] = figures["checkins"]
        section.notes[f"{name}.messages"] = figures["messages"]
        section.notes[f"{name}.longest_message"] = figures["longest_message"]
    section.notes["baseline"] = "SELECT kind, regency_code, count(*) ... WHERE is_current GROUP BY"
    return section


async def _run_national(section: Section, runs: int) -> Section:
    if national.server_url() is None:
        section.notes["nation"] = "skipped: no PostgreSQL server (TEST_POSTGRES_URL)"
        return section
    figures = await _national(runs)
    met = figures["digest_s"] <= NATIONAL_SECONDS and figures["ratio"] <= TARGET_RATIO
    section.figures.append(
        Figure(
            "nation (PostgreSQL): digest build (s)",
            figures["digest_s"],
            "s",
            baseline=figures["raw_s"],
            target=f"<= {NATIONAL_SECONDS} s, <= {TARGET_RATIO}x",
        )
    )
    section.figures.append(Figure("nation (PostgreSQL): seeding (s)", figures["seed_s"], "s"))
    for key in ("tps", "checkins", "rows", "messages", "digest_runs", "raw_runs"):
        section.notes[f"nation.{key}"] = figures[key]
    section.notes["nation.ratio"] = round(figures["ratio"], 2)
    section.notes["nation.targets"] = (
        f"digest <= {NATIONAL_SECONDS} s and <= {TARGET_RATIO}x raw: {'met' if met else 'NOT met'}"
    )
    section.notes["baseline"] = "SELECT kind, regency_code, count(*) ... WHERE is_current GROUP BY"
    return section


def main(quick: bool) -> dict[str, Any]:
    provinces = ["36"] if quick else ["36", "32"]
    runs = 3 if quick else 7
    result: dict[str, Any] = {}
    ok = True
    for code in provinces:
        figures = asyncio.run(_measure(code, runs))
        name = PROVINCES[code]
        for key, value in figures.items():
            result[f"{name} {key}"] = value
        if code == "32":
            ok = figures["digest_s"] <= TARGET_SECONDS and figures["ratio"] <= TARGET_RATIO
    result["targets"] = f"Jawa Barat digest <= {TARGET_SECONDS} s and <= {TARGET_RATIO}x raw"
    result["ok"] = ok
    return result
