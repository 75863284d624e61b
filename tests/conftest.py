"""Shared fixtures: a migrated database per test, on SQLite and (where a server runs) PostgreSQL.

Every test that asks for `db_url`, `engine` or `sessions` runs once per backend. PostgreSQL
comes from TEST_POSTGRES_URL (`make test` starts a throwaway server through .ci/postgres.sh);
without it those runs skip with the reason, unless DESKBOT_REQUIRE_POSTGRES=1 (CI) makes a
missing server a failure.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.masterdata import MasterData, parse_tps_file
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade

BACKENDS = ["sqlite", "postgresql"]
REPO = Path(__file__).resolve().parent.parent
TPS_FILE = REPO / "data/reference/tps_pemilu2024.csv.gz"


def _pg_admin_dsn() -> str | None:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        return None
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgresql" and _pg_admin_dsn() is None:
        if os.environ.get("DESKBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail("DESKBOT_REQUIRE_POSTGRES=1 but no PostgreSQL server could be started")
        pytest.skip(
            "no PostgreSQL server: set TEST_POSTGRES_URL or install PostgreSQL "
            "server binaries (`make test` starts one through .ci/postgres.sh)"
        )
    return name


@pytest.fixture
async def db_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database for this test."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'desk.sqlite3'}"
        return
    dsn = _pg_admin_dsn()
    assert dsn is not None
    name = f"deskbot_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = make_url(os.environ["TEST_POSTGRES_URL"])
    yield base.set(database=name).render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(db_url)
    await upgrade(eng)
    yield eng
    await eng.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@functools.cache
def kpu_data(*, regencies: tuple[str, ...] = (), provinces: tuple[str, ...] = ()) -> MasterData:
    """The shipped KPU list cut to some regions, parsed once per test process (reading the
    whole country's file takes seconds)."""
    return parse_tps_file(TPS_FILE, regencies=list(regencies), provinces=list(provinces))


class FakeClock:
    """An injectable clock that tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2024, 2, 13, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    yield FakeClock()
