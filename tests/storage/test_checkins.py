"""Check-in versions, dedupe, current state and history; the conversation store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.checkins.kinds import Kind, Severity, Source
from domain.checkins.records import Draft, TpsInfo
from domain.roles import Role
from storage import checkins, conversations, digest, people, regions, staff
from tests.conftest import kpu_data

TPS = "3672011001-003"
T0 = datetime(2024, 2, 13, 1, 0, tzinfo=UTC)


@pytest.fixture
async def loaded(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    data = kpu_data(regencies=("3672",))
    async with sessions.begin() as session:
        await regions.import_masterdata(session, data)
    return sessions


async def _file(session: AsyncSession, tps: TpsInfo, key: str, water: int, at: datetime) -> int:
    filed = await checkins.file_checkin(
        session,
        tps=tps,
        kind=Kind.BANJIR,
        severity=Severity.WARN,
        payload={"water_cm": water, "usable": True},
        source=Source.QUICK,
        filed_by=None,
        filed_by_name="",
        relayed=False,
        sent_at=at,
        received_at=at,
        dedupe_key=key,
    )
    return filed.version


async def test_versions_are_kept_and_only_the_newest_is_current(
    loaded: async_sessionmaker[AsyncSession],
) -> None:
    async with loaded.begin() as session:
        tps = await checkins.tps_info(session, TPS)
        assert tps is not None and tps.label == "TPS 003 CIBEBER" and tps.province_code == "36"
        assert await _file(session, tps, "q:1:1", 10, T0) == 1
        assert await _file(session, tps, "q:1:2", 40, T0 + timedelta(minutes=5)) == 2
        assert await _file(session, tps, "q:1:2", 99, T0 + timedelta(minutes=6)) == 2  # redelivery
    async with loaded.begin() as session:
        current = await checkins.current(session, TPS)
        versions = await checkins.history(session, TPS)
        setup = await digest.desk_setup(session)
        figures = await digest.region_figures(session, "367201", setup=setup, now=T0)
    assert current[Kind.BANJIR].payload["water_cm"] == 40
    assert [v.version for v in versions] == [2, 1]
    total = figures.total  # counted once, the newest version: a flood of severity warn
    assert (total.filed, total.problems) == ({"banjir": 1}, {"banjir": 1}) and total.tps > 100
    assert (total.floods, total.severe_floods) == (1, 0)


async def test_a_duplicate_key_returns_the_first_check_in(
    loaded: async_sessionmaker[AsyncSession],
) -> None:
    async with loaded.begin() as session:
        tps = await checkins.tps_info(session, TPS)
        assert tps is not None
        await _file(session, tps, "g:7:abc", 10, T0)
        again = await checkins.by_dedupe_key(session, "g:7:abc")
    assert again is not None and again.duplicate and again.payload["water_cm"] == 10


async def test_unknown_tps_has_no_info(loaded: async_sessionmaker[AsyncSession]) -> None:
    async with loaded.begin() as session:
        assert await checkins.tps_info(session, "3672011001-999") is None
        assert await checkins.tps_for_filing(session, "3672011001-999", Kind.SIAP, "k") is None


async def test_filing_reads_the_tps_and_what_came_before_in_one_go(
    loaded: async_sessionmaker[AsyncSession],
) -> None:
    async with loaded.begin() as session:
        tps = await checkins.tps_info(session, TPS)
        assert tps is not None
        fresh = await checkins.tps_for_filing(session, TPS, Kind.BANJIR, "q:1:1")
        assert fresh == (tps, (None, None, None))
        await _file(session, tps, "q:1:1", 10, T0)
        await _file(session, tps, "q:1:2", 20, T0)
        found = await checkins.tps_for_filing(session, TPS, Kind.BANJIR, "q:1:1")
        assert found is not None and found[0] == tps
        first = await checkins.by_dedupe_key(session, "q:1:1")
        assert first is not None and found[1] == (first.id, None, 2)
        other_kind = await checkins.tps_for_filing(session, TPS, Kind.SIAP, "q:1:9")
        assert other_kind == (tps, (None, None, None))


async def test_a_draft_round_trips_and_is_replaced(
    loaded: async_sessionmaker[AsyncSession],
) -> None:
    draft = Draft(
        telegram_id=5_000_000_001,
        chat_id=5_000_000_001,
        flow="banjir",
        step="usable",
        started_at=T0,
        updated_at=T0,
        tps_id=TPS,
        answers={"water_cm": 40},
        message_id=12,
    )
    async with loaded.begin() as session:
        await conversations.save(session, draft)
    draft.answers["usable"] = False
    draft.step = "relocate"
    async with loaded.begin() as session:
        await conversations.save(session, draft)
    async with loaded.begin() as session:
        back = await conversations.get(session, draft.telegram_id)
        assert await conversations.open_count(session) == 1
    assert back is not None
    assert (back.step, back.answers, back.token, back.message_id) == (
        "relocate",
        {"water_cm": 40, "usable": False},
        draft.token,
        12,
    )
    async with loaded.begin() as session:
        await conversations.drop(session, draft.telegram_id)
        assert await conversations.get(session, draft.telegram_id) is None


async def test_the_sender_and_their_draft_are_read_in_one_go(
    loaded: async_sessionmaker[AsyncSession],
) -> None:
    """`member_and_draft` answers as `member_by_telegram_id` and `get` would together: a person
    without a draft, with one, a stranger (even one with a leftover draft), a revoked person."""
    siti_id, stranger_id = 5_000_000_002, 5_000_000_003
    async with loaded.begin() as session:
        siti = await people.upsert_member(
            session, telegram_id=siti_id, name="Siti", username="siti", role=Role.TPS,
            scope=TPS, language="id", now=T0,
        )  # fmt: skip
    async with loaded() as session:
        assert await conversations.member_and_draft(session, siti_id) == (siti, None)
        assert await conversations.member_and_draft(session, stranger_id) == (None, None)
    drafts = [
        Draft(telegram_id=who, chat_id=who, flow="banjir", step="usable", started_at=T0,
              updated_at=T0, tps_id=TPS, answers={"water_cm": 40}, message_id=12)
        for who in (siti_id, stranger_id)
    ]  # fmt: skip
    async with loaded.begin() as session:
        for draft in drafts:
            await conversations.save(session, draft)
    async with loaded() as session:
        member, draft = await conversations.member_and_draft(session, siti_id)
        assert member == siti
        assert draft == await conversations.get(session, siti_id)
        assert draft is not None and (draft.step, draft.answers) == ("usable", {"water_cm": 40})
        assert await conversations.member_and_draft(session, stranger_id) == (None, None)
    async with loaded.begin() as session:
        await staff.revoke(session, siti.id, actor_id=None, actor_label="test", now=T0)
    async with loaded() as session:
        assert await conversations.member_and_draft(session, siti_id) == (None, None)
        assert await people.member_by_telegram_id(session, siti_id) is None
