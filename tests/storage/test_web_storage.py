"""Signing in to the desk page and the page's own reads, on both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.invites import InviteProblem
from domain.masterdata import MasterData
from domain.roles import Role
from storage import dashboard, people, regions, staff, web_auth
from storage.db import create_read_engine, dispose_read_engine, read_sessionmaker
from storage.web_auth import SignedIn
from tests.checkins_seed import add_checkin
from tests.conftest import kpu_data

CITY = "3672"
VILLAGE = "3672011001"
AT = datetime(2024, 2, 13, 5, 0, tzinfo=UTC)


@cache
def _cilegon() -> MasterData:
    return kpu_data(regencies=(CITY,))


async def _person(
    sessions: async_sessionmaker[AsyncSession], telegram_id: int, role: Role, scope: str
) -> int:
    async with sessions.begin() as session:
        member = await people.upsert_member(
            session, telegram_id=telegram_id, name=f"P{telegram_id}", username=None, role=role,
            scope=scope, language="id", now=AT,
        )  # fmt: skip
    return member.id


async def test_a_link_signs_in_once_and_the_session_follows_the_person(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        await regions.import_masterdata(session, _cilegon())
    person = await _person(sessions, 1, Role.COORDINATOR, CITY)
    async with sessions.begin() as session:
        token = await web_auth.create_login(session, person, AT)
    assert len(token) >= 43

    async def redeem() -> SignedIn | InviteProblem:
        async with sessions.begin() as session:
            return await web_auth.redeem_login(session, token, AT + timedelta(minutes=1))

    outcomes = await asyncio.gather(redeem(), redeem(), return_exceptions=True)
    won = [o for o in outcomes if isinstance(o, SignedIn)]
    assert len(won) == 1, outcomes
    cookie = won[0].token
    async with sessions.begin() as session:
        seen = await web_auth.session_member(session, cookie, AT + timedelta(hours=11))
        assert seen is not None and seen.scope == CITY
        assert await web_auth.session_member(session, cookie, AT + timedelta(hours=13)) is None
        assert await web_auth.session_member(session, "made-up", AT) is None
    # Moved to another district: the same session now shows that scope only.
    async with sessions.begin() as session:
        await people.upsert_member(
            session, telegram_id=1, name="P1", username=None, role=Role.COORDINATOR,
            scope="367202", language="id", now=AT,
        )  # fmt: skip
        seen = await web_auth.session_member(session, cookie, AT + timedelta(hours=1))
        assert seen is not None and seen.scope == "367202"
    # Became an officer: no page at all.
    async with sessions.begin() as session:
        await people.upsert_member(
            session, telegram_id=1, name="P1", username=None, role=Role.TPS,
            scope="3672011001-001", language="id", now=AT,
        )  # fmt: skip
        assert await web_auth.session_member(session, cookie, AT + timedelta(hours=1)) is None


async def test_expired_unknown_and_revoked(sessions: async_sessionmaker[AsyncSession]) -> None:
    person = await _person(sessions, 2, Role.ADMIN, "36")
    async with sessions.begin() as session:
        old = await web_auth.create_login(session, person, AT)
        fresh = await web_auth.create_login(session, person, AT)
        later = AT + web_auth.LOGIN_TTL
        assert await web_auth.redeem_login(session, old, later) is InviteProblem.EXPIRED
        assert await web_auth.redeem_login(session, "nope", AT) is InviteProblem.UNKNOWN
        signed = await web_auth.redeem_login(session, fresh, AT)
        assert isinstance(signed, SignedIn)
        unused = await web_auth.create_login(session, person, AT)
        assert await web_auth.end_sessions_of(session, person, AT) == 1
        assert await web_auth.session_member(session, signed.token, AT) is None
        assert await web_auth.redeem_login(session, unused, AT) is InviteProblem.USED


async def test_a_revoked_person_loses_the_page_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    person = await _person(sessions, 3, Role.COORDINATOR, CITY)
    async with sessions.begin() as session:
        signed = await web_auth.redeem_login(
            session, await web_auth.create_login(session, person, AT), AT
        )
        assert isinstance(signed, SignedIn)
        link = await web_auth.create_login(session, person, AT)
        assert await web_auth.session_member(session, signed.token, AT) is not None
        # /cabut or `deskbot people revoke`, not only /dasbor_cabut, closes the page.
        assert await staff.revoke(session, person, actor_id=None, actor_label="t", now=AT)
        assert await web_auth.session_member(session, signed.token, AT) is None
        assert await web_auth.redeem_login(session, link, AT) is InviteProblem.UNKNOWN


async def test_village_counts_problems_and_marks(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        await regions.import_masterdata(session, _cilegon())
        start = await dashboard.mark(session)
        first = f"{VILLAGE}-001"
        await add_checkin(session, tps_id=first, kind="siap", at=AT)
        await add_checkin(session, tps_id=f"{VILLAGE}-002", kind="siap", at=AT)
        await add_checkin(
            session, tps_id=first, kind="banjir", at=AT, severity="severe",
            payload={"water_cm": 100, "usable": False, "photos": ["a", "b"]},
        )  # fmt: skip
        await add_checkin(
            session, tps_id=f"{VILLAGE}-003", kind="kejadian", at=AT, severity="warn",
            payload={"resolved": True},
        )  # fmt: skip
        await add_checkin(session, tps_id="3672021001-001", kind="siap", at=AT)
    await _person(sessions, 31, Role.TPS, f"{VILLAGE}-003")
    await _person(sessions, 32, Role.CAMAT, "367201")
    async with sessions.begin() as session:
        await people.set_reachable(session, 32, False, AT)
    async with sessions.begin() as session:
        counts = await dashboard.village_counts(session, "367201")
        assert counts.by_district[VILLAGE].filed == {"siap": 2, "banjir": 1, "kejadian": 1}
        assert counts.by_district[VILLAGE].serious == {"banjir": 1}
        assert counts.tps_by_district[VILLAGE] == 60
        assert counts.open_incidents == {}
        assert counts.severe_flood_tps == [(first, "CIBEBER")]
        floods = await dashboard.problems(session, dashboard.Kind.BANJIR, VILLAGE)
        assert [(p.tps_id, p.photos) for p in floods] == [(first, 2)]
        assert await dashboard.problems(session, dashboard.Kind.KEJADIAN, CITY) == []
        rows = await dashboard.tps_rows(session, VILLAGE)
        assert rows[0].kinds == {"siap": "ok", "banjir": "severe"} and rows[2].kinds == {
            "kejadian": "warn"
        }
        events = await dashboard.checkins_after(session, start.checkin_id)
        assert [e.code for e in events][-1] == "3672021001-001" and len(events) == 5
        assert (await dashboard.mark(session)).checkin_id == events[-1].checkin_id
        missing = await dashboard.missing_with_people(session, ["siap", "banjir"], VILLAGE, limit=2)
        assert [m.tps_id for m in missing["siap"]] == [f"{VILLAGE}-003", f"{VILLAGE}-004"]
        assert [m.tps_id for m in missing["banjir"]] == [f"{VILLAGE}-002", f"{VILLAGE}-003"]
        first_missing = missing["siap"][0]
        assert (first_missing.officer, first_missing.officer_reachable) == ("P31", True)
        assert (first_missing.camat, first_missing.camat_reachable) == ("P32", False)
        assert missing["siap"][1].officer is None


async def test_a_page_reading_never_holds_up_a_writer(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    reading_engine = create_read_engine(engine)  # the bot's: `bot.runner.prepare`
    reads = read_sessionmaker(sessions, reading_engine)
    try:
        async with reads() as reader:
            before = await dashboard.mark(reader)  # a transaction is open on the reader now

            async def write() -> None:
                async with sessions.begin() as session:
                    await _person_in(session)

            # With BEGIN IMMEDIATE on the reader: a 30 s lock wait; on the writer's own
            # connection (SQLite has one): a 30 s wait for the pool.
            await asyncio.wait_for(write(), 5)
            assert (await dashboard.mark(reader)) == before
    finally:
        await dispose_read_engine(reading_engine, engine)


async def test_a_page_reads_while_a_writer_holds_its_transaction(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    reading_engine = create_read_engine(engine)
    reads = read_sessionmaker(sessions, reading_engine)
    try:
        async with sessions.begin() as writer:
            await _person_in(writer)  # SQLite's one writing connection is taken, uncommitted

            async def read() -> dashboard.Mark:
                async with reads() as reader:
                    return await dashboard.mark(reader)

            mark = await asyncio.wait_for(read(), 5)  # not queued behind the writer
            assert mark.checkin_id == 0
    finally:
        await dispose_read_engine(reading_engine, engine)


async def _person_in(session: AsyncSession) -> None:
    await people.upsert_member(
        session, telegram_id=77, name="W", username=None, role=Role.ADMIN, scope="",
        language="id", now=AT,
    )  # fmt: skip
