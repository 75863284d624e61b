"""The national desk's PostgreSQL database for the digest bench, seeded once and kept.

Every TPS of the country (818,339) goes in through the bot's own import; the check-ins
(`bench.digest._rows`, about 3.5 million rows) go in through COPY with the triggers off, and
`checkin_count` is then filled by the same statement migration 0004 uses for existing rows,
so the counter table holds exactly what the triggers would have written. The database is
built under a scratch name and renamed when complete, so an interrupted seed is never reused.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from domain.masterdata import parse_tps_file
from storage import regions
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade

SEED_VERSION = "v1"
NAME = f"deskbot_bench_national_{SEED_VERSION}"
COLUMNS = (
    "tps_id", "kind", "version", "is_current", "district_code", "regency_code",
    "province_code", "severity", "payload", "source", "relayed", "sent_at", "received_at",
    "dedupe_key",
)  # fmt: skip
Rows = Callable[[list[str], random.Random], list[tuple[Any, ...]]]


def server_url() -> str | None:
    """The PostgreSQL server of `.ci/postgres.sh` (TEST_POSTGRES_URL), or None without one."""
    return os.environ.get("TEST_POSTGRES_URL") or None


def _dsn(base: str, database: str | None = None) -> str:
    url = make_url(base).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


async def database(tps_file: Any, rows: Rows) -> tuple[str, float]:
    """The seeded national database's SQLAlchemy URL and the seconds seeding took now (0.0
    when an earlier run's copy is reused). Needs `server_url()`."""
    base = server_url()
    assert base is not None, "no PostgreSQL server (TEST_POSTGRES_URL)"
    admin = await asyncpg.connect(_dsn(base))
    try:
        if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", NAME):
            engine = create_engine(_url(base, NAME))
            try:
                await upgrade(engine)  # a copy seeded before the newest migration catches up
            finally:
                await engine.dispose()
            return _url(base, NAME), 0.0
        started = time.perf_counter()
        scratch = f"{NAME}_building"
        await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{scratch}"')
        await _seed(base, scratch, tps_file, rows)
        await admin.execute(f'ALTER DATABASE "{scratch}" RENAME TO "{NAME}"')
        return _url(base, NAME), time.perf_counter() - started
    finally:
        await admin.close()


def _url(base: str, database: str) -> str:
    return make_url(base).set(database=database).render_as_string(hide_password=False)


async def _seed(base: str, name: str, tps_file: Any, rows: Rows) -> None:
    engine = create_engine(_url(base, name))
    try:
        await upgrade(engine)
        data = parse_tps_file(tps_file)
        async with create_sessionmaker(engine).begin() as session:
            await regions.import_masterdata(session, data)
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(_dsn(base, name))
    try:
        tps_ids = [r[0] for r in await connection.fetch("SELECT id FROM tps ORDER BY id")]
        filings = rows(tps_ids, random.Random(0))
        async with connection.transaction():
            # Triggers (the counter's and the foreign keys') off for the copy: the counter is
            # filled below in one statement, and every TPS id comes from the tps table.
            await connection.execute("SET LOCAL session_replication_role = replica")
            await connection.copy_records_to_table(
                "checkin", records=_records(filings), columns=COLUMNS
            )
            await connection.execute(
                "INSERT INTO checkin_count (district_code, kind, severity, n) "
                "SELECT district_code, kind, severity, count(*) FROM checkin WHERE is_current "
                "GROUP BY district_code, kind, severity"
            )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def _records(filings: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for tps, kind, version, current, severity, payload, at in filings:
        yield (
            tps, kind, version, bool(current), tps[:6], tps[:4], tps[:2], severity, payload,
            "guided", False, at, at, uuid.uuid4().hex,
        )  # fmt: skip
