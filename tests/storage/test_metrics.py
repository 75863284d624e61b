"""The check-in counter of /metrics counts committed check-ins only, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import metrics
from domain.masterdata import HEADER, parse_rows
from domain.rehearsal import DEFAULT_PLAN
from services import utc_now
from storage import regions, rehearsals
from storage.models.checkins import Checkin

ROW = ["36", "BANTEN", "3672", "KOTA CILEGON", "367201", "CIBEBER", "3672011001", "CIBEBER", "3"]


def checkin(n: int) -> Checkin:
    now = utc_now()
    return Checkin(
        tps_id="3672011001-001",
        kind="siap",
        version=n,
        district_code="367201",
        regency_code="3672",
        province_code="36",
        severity="ok",
        payload={},
        source="quick",
        sent_at=now,
        received_at=now,
        dedupe_key=f"test-{n}",
    )


class Rollback(Exception):
    pass


async def test_committed_checkins_are_counted_and_rolled_back_ones_are_not(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    metrics.count_checkins(engine)
    metrics.count_checkins(engine)  # installing twice must not count twice
    async with sessions.begin() as session:
        await regions.import_masterdata(session, parse_rows(iter([list(HEADER), ROW])))
    before = metrics.CHECKINS._value.get()
    async with sessions.begin() as session:
        session.add(checkin(1))
    assert metrics.CHECKINS._value.get() == before + 1
    with pytest.raises(Rollback):
        async with sessions.begin() as session:
            session.add(checkin(2))
            await session.flush()
            raise Rollback
    async with sessions.begin() as session:
        session.add_all([checkin(3), checkin(4)])
    assert metrics.CHECKINS._value.get() == before + 3


async def test_a_rehearsals_checkins_are_not_counted(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    metrics.count_checkins(engine)
    async with sessions.begin() as session:
        await regions.import_masterdata(session, parse_rows(iter([list(HEADER), ROW])))
        info = await rehearsals.start(session, DEFAULT_PLAN, by=None, now=utc_now())
    before = metrics.CHECKINS._value.get()
    practice = checkin(1)
    practice.rehearsal_id, practice.is_current = info.id, False
    async with sessions.begin() as session:
        session.add(practice)
    assert metrics.CHECKINS._value.get() == before
    async with sessions.begin() as session:
        session.add(checkin(2))
    assert metrics.CHECKINS._value.get() == before + 1
