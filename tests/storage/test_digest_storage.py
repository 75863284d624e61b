"""Digest counts against hand-computed figures, and the exactly-once ledger, on both backends."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.figures import COVERAGE_KINDS, SERIOUS
from domain.masterdata import MasterData
from domain.outbox import Outgoing, OutStatus
from domain.regions import NATION
from domain.slots import SlotDef, SlotKind
from storage import coverage, digest, outbox, regions, schedules
from storage import figures as counting
from storage.models import Checkin, CheckinCount, Tps, Village
from storage.outbox import Outcome
from tests.checkins_seed import add_checkin
from tests.conftest import kpu_data

CITY = "3672"
AT = datetime(2024, 2, 13, 5, 0, tzinfo=UTC)


@cache
def _cilegon() -> MasterData:
    return kpu_data(regencies=(CITY,))


async def _seed(
    sessions: async_sessionmaker[AsyncSession], data: MasterData | None = None, every: int = 1
) -> dict[tuple[str, str], tuple[str, dict]]:
    """File a pattern of check-ins (with corrections) at 400 TPS (every `every`-th, Cilegon's
    by default); return the current one per TPS/kind."""
    async with sessions.begin() as session:
        await regions.import_masterdata(session, data or _cilegon())
        ids = list((await session.execute(select(Tps.id).order_by(Tps.id))).scalars())
    current: dict[tuple[str, str], tuple[str, dict]] = {}
    async with sessions.begin() as session:
        for n, tps in enumerate(ids[::every][:400]):
            filings: list[tuple[str, str, dict]] = [("logistik", "ok", {})]
            if n % 2:
                filings.append(("siap", "warn" if n % 7 == 0 else "ok", {}))
            if n % 3 == 0:
                water = (0, 20, 60, 120)[n % 4]
                sev = ("ok", "warn", "severe", "critical")[n % 4]
                filings.append(("banjir", sev, {"water_cm": water, "usable": water < 100}))
            if n % 5 == 0:
                level = ("none", "weak", "good")[n % 3]
                sev = {"none": "severe", "weak": "warn", "good": "ok"}[level]
                filings.append(("sinyal", sev, {"level": level}))
            if n % 11 == 0:
                filings.append(("kejadian", "warn", {"resolved": n % 22 == 0, "severity": "low"}))
            if n % 5 == 1:  # a correction: the earlier version stops counting
                filings.append(("logistik", "warn", {"short": "tinta"}))
            for kind, severity, payload in filings:
                await add_checkin(
                    session,
                    tps_id=tps,
                    kind=kind,
                    at=AT + timedelta(minutes=n),
                    severity=severity,
                    payload=payload,
                )
                current[(tps, kind)] = (severity, payload)
    return current


async def test_counts_match_the_stored_checkins(sessions: async_sessionmaker[AsyncSession]) -> None:
    current = await _seed(sessions)
    async with sessions.begin() as session:
        setup = await digest.desk_setup(session)
        figures = await digest.build(session, CITY, setup=setup, now=AT)
        all_tps = list((await session.execute(select(Tps.id))).scalars())
    assert setup.scope == CITY  # a city desk: derived from the imported list
    tps_per_district = Counter(t[:6] for t in all_tps)
    assert [(r.code, r.tps) for r in figures.rows] == sorted(tps_per_district.items())
    for row in figures.rows:
        mine = {k: v for k, v in current.items() if k[0][:6] == row.code}
        for kind in COVERAGE_KINDS:
            assert row.filed.get(kind, 0) == sum(1 for t, k in mine if k == kind), (row.code, kind)
        floods = [v for (t, k), v in mine.items() if k == "banjir" and v[0] != "ok"]
        assert row.floods == len(floods)
        assert row.severe_floods == sum(1 for v in floods if v[0] in ("severe", "critical"))
        assert row.blank_spots == sum(
            1 for (t, k), v in mine.items() if k == "sinyal" and v[1]["level"] == "none"
        )
        assert row.open_incidents == sum(
            1 for (t, k), v in mine.items() if k == "kejadian" and not v[1]["resolved"]
        )
    severe = sorted(
        t for (t, k), v in current.items() if k == "banjir" and v[0] in ("severe", "critical")
    )
    assert [t for t, _ in figures.severe_floods] == severe
    assert figures.total.tps == len(all_tps) == 1247
    async with sessions.begin() as session:
        total, page = await coverage.missing_tps(session, "siap", CITY, limit=5)
    assert total == len(all_tps) - sum(1 for (_, k) in current if k == "siap")
    assert len(page) == 5 and all((p.tps_id, "siap") not in current for p in page)


async def test_national_counts_per_district_match_the_stored_checkins(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """At the nation's scope (two provinces), each district's tally and the province rows equal
    a plain count of the current check-ins; severe floods carry their village's name."""
    current = await _seed(sessions, kpu_data(regencies=("3272", CITY)), every=3)
    async with sessions.begin() as session:
        counts = await counting.load_counts(session, NATION, length=2)
        setup = await digest.desk_setup(session)
        figures = await digest.build(session, NATION, setup=setup, now=AT)
        villages = dict((await session.execute(select(Village.code, Village.name))).all())
    assert setup.scope == NATION and {t[:2] for t, _ in current} == {"32", "36"}
    expected: dict[str, dict[str, Counter[str]]] = {}
    for (tps, kind), (severity, _) in current.items():
        tally = expected.setdefault(tps[:6], {"filed": Counter(), "problems": Counter(),
                                               "serious": Counter()})  # fmt: skip
        tally["filed"][kind] += 1
        tally["problems"][kind] += severity != "ok"
        tally["serious"][kind] += severity in ("severe", "critical")
    parts = ("filed", "problems", "serious")
    assert {d: (t.filed, t.problems, t.serious) for d, t in counts.by_district.items()} == {
        d: tuple({k: n for k, n in t[part].items() if n} for part in parts)
        for d, t in expected.items()
    }
    assert counts.open_incidents == dict(
        Counter(t[:6] for (t, k), v in current.items() if k == "kejadian" and not v[1]["resolved"])
    )
    severe = sorted(t for (t, k), v in current.items() if k == "banjir" and v[0] in SERIOUS)
    assert counts.severe_flood_tps == [(t, villages[t[:10]]) for t in severe] and severe
    assert [r.code for r in figures.rows] == ["32", "36"]
    for row in figures.rows:
        mine = [(k, v) for (t, k), v in current.items() if t.startswith(row.code)]
        for kind in COVERAGE_KINDS:
            assert row.filed.get(kind, 0) == sum(1 for k, _ in mine if k == kind)
        assert row.floods == sum(1 for k, v in mine if k == "banjir" and v[0] != "ok")
        assert row.blank_spots == sum(1 for k, v in mine if k == "sinyal" and v[0] in SERIOUS)


async def test_the_counter_follows_every_write_to_checkin(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Inserts, corrections, direct updates and deletes: the trigger-kept counts equal a
    fresh aggregate over the current check-ins."""
    await _seed(sessions)
    async with sessions.begin() as session:
        await session.execute(
            update(Checkin)
            .where(Checkin.kind == "siap", Checkin.tps_id.like("367201%"), Checkin.is_current)
            .values(severity="severe")
        )
        await session.execute(
            delete(Checkin).where(Checkin.kind == "kejadian", Checkin.version == 1)
        )
    async with sessions.begin() as session:
        counted = {
            (d, k, s): n
            for d, k, s, n in (
                await session.execute(
                    select(
                        CheckinCount.district_code,
                        CheckinCount.kind,
                        CheckinCount.severity,
                        CheckinCount.n,
                    ).where(CheckinCount.n > 0)
                )
            ).all()
        }
        fresh = {
            (d, k, s): n
            for d, k, s, n in (
                await session.execute(
                    select(Checkin.district_code, Checkin.kind, Checkin.severity, func.count())
                    .where(Checkin.is_current.is_(True))
                    .group_by(Checkin.district_code, Checkin.kind, Checkin.severity)
                )
            ).all()
        }
    assert counted == fresh and ("367201", "siap", "severe") in counted
    assert not any(k == "kejadian" for _, k, _ in counted)


def _slot(key: str = "digest:2024-02-13T06:00+07:00") -> SlotDef:
    return SlotDef(key, SlotKind.DIGEST, "", AT, AT + timedelta(hours=3))


async def test_a_slot_and_each_part_are_claimed_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def record() -> bool:
        async with sessions.begin() as session:
            return await schedules.record_slot(session, _slot(), status="sending", now=AT)

    assert sorted(await asyncio.gather(record(), record(), record())) == [False, False, True]
    async with sessions.begin() as session:
        slot = await schedules.slot_by_key(session, _slot().key)
    assert slot is not None and slot.status == "sending"

    def part(chat: int) -> Outgoing:
        params = {"chat_id": chat, "text": "rekap"}
        return Outgoing("sendMessage", params, key=f"slot:{slot.id}:{chat}:text0", slot_id=slot.id)

    async def queue(chat: int) -> int:
        async with sessions.begin() as session:
            return len(await outbox.enqueue(session, [part(chat)], now=AT))

    queued = await asyncio.gather(*(queue(chat) for chat in (-1, -1, -2, -1, -2)))
    assert sorted(queued) == [0, 0, 0, 1, 1]  # each part to each chat is owed once
    async with sessions.begin() as session:
        due = await outbox.due(session, now=AT, limit=10)
        assert {row.chat_id for row in due} == {-1, -2}
        won = await outbox.claim(session, [row.id for row in due], now=AT)
        assert won == {row.id for row in due}
        assert await outbox.claim(session, [row.id for row in due], now=AT) == set()
        first = next(row for row in due if row.chat_id == -1)
        await outbox.record(session, [Outcome(first.id, OutStatus.SENT, message_id=9)], now=AT)
        # -2 was claimed but never recorded: a crash between claim and record. It may have
        # arrived, so it becomes uncertain and is never sent again.
        assert await outbox.recover(session, now=AT) == 1
        assert await outbox.due(session, now=AT, limit=10) == []
        await schedules.finish_slot(session, slot.id, status="done", now=AT)
        done = await schedules.slot_by_key(session, _slot().key)
        assert await schedules.open_slots(session) == []
        assert sorted(await schedules.deliveries(session, slot.id)) == [
            (-2, "text0", "uncertain"),
            (-1, "text0", "sent"),
        ]
    assert done is not None and (done.status, done.sent, done.failed) == ("done", 2, 0)
