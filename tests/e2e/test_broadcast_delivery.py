"""Broadcast delivery against a fake Telegram that enforces its flood limits: a large audience,
blocked recipients, a restart in the middle, and the default pace."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from bot import runner
from domain.roles import Role
from storage import people
from storage.models import BroadcastDelivery
from tests.conftest import FakeClock
from tests.e2e.broadcasting import add_officers, compose, deliveries_of, send_now, wait_done
from tests.e2e.conftest import CITY, Desk, open_desk

# A fast pace for big audiences: 200/s against a server that allows 220/s per bot.
FAST_API: dict[str, Any] = {"flood_limits": True, "per_bot_rate": 220}
FAST: dict[str, Any] = {"broadcast_rate": 200, "send_rate": 200, "broadcast_progress_seconds": 1.5}
# The sender's chat may get one message a second: space the composing steps (at the default
# pace); the fast tests compose with the limits off and switch them on before sending.
GAP = 1.6


def limits(desk: Desk, *, on: bool) -> None:
    desk.api.state.flood.enabled = on
    desk.api.state.flood.reset()


async def _admin(desk: Desk) -> Any:
    admin = desk.new_user("Admin Desk")
    await desk.member(admin, Role.ADMIN, CITY)
    return admin


async def test_over_a_thousand_people_each_once_without_a_429(
    db_url: str, clock: FakeClock
) -> None:
    async with open_desk(db_url, clock, api_options=FAST_API, **FAST) as desk:
        officers = await add_officers(desk, 1_100)
        blocked = officers[::100]  # eleven of them blocked the bot
        for telegram_id in blocked:
            desk.api.block(telegram_id)
        admin = await _admin(desk)
        limits(desk, on=False)
        bid, summary = await compose(desk, admin, "Instruksi <b>penting</b>", "all")
        assert "Jumlah: 1100 orang" in summary["text"]
        limits(desk, on=True)
        await send_now(desk, admin, summary, bid)
        final = await wait_done(desk, bid, timeout=60)

        assert desk.api.rate_limited_count == 0
        assert deliveries_of(desk, bid, ok_only=False) == dict.fromkeys(officers, 1)
        assert set(deliveries_of(desk, bid)) == set(officers) - set(blocked)
        assert "Terkirim: 1089 dari 1100" in final
        assert "Memblokir bot / tidak terjangkau: 11" in final
        async with desk.sessions.begin() as session:
            for telegram_id in blocked[:3]:
                member = await people.member_by_telegram_id(session, telegram_id)
                assert member is not None and not member.reachable
        comeback = desk.api.user(blocked[0])
        desk.api.unblock(blocked[0])
        await desk.say(comeback, "halo")
        async with desk.sessions.begin() as session:
            member = await people.member_by_telegram_id(session, blocked[0])
            assert member is not None and member.reachable


async def test_a_restart_in_the_middle_reaches_everyone_once(db_url: str, clock: FakeClock) -> None:
    async with open_desk(db_url, clock, api_options=FAST_API, **FAST) as desk:
        officers = await add_officers(desk, 600)
        admin = await _admin(desk)
        limits(desk, on=False)
        bid, summary = await compose(desk, admin, "Sebelum dan sesudah restart", "all")
        limits(desk, on=True)
        await send_now(desk, admin, summary, bid)
        for _ in range(300):
            if len(deliveries_of(desk, bid)) >= 150:
                break
            await asyncio.sleep(0.02)
        # Stop as `deskbot run` does on SIGTERM and look at the database while nothing runs
        # (a started worker claims ahead at once), then start again on the same database.
        await runner.stop(desk.running, dispose_engine=False)
        before = len(deliveries_of(desk, bid))
        assert 150 <= before < 600, "the restart should fall in the middle of the delivery"
        async with desk.sessions.begin() as session:
            pending = await session.scalar(
                select(func.count()).where(
                    BroadcastDelivery.broadcast_id == bid, BroadcastDelivery.status == "sending"
                )
            )
        assert pending == 0  # a clean stop records every send in flight
        desk.running = await runner.start(
            desk.settings, clock=desk.clock, engine=desk.running.engine, poll_timeout=1
        )
        final = await wait_done(desk, bid, timeout=60)

        assert deliveries_of(desk, bid, ok_only=False) == dict.fromkeys(officers, 1)
        assert "Terkirim: 600 dari 600" in final
        assert desk.api.rate_limited_count == 0


async def test_the_default_pace_keeps_within_telegrams_own_limits(
    db_url: str, clock: FakeClock
) -> None:
    """25 a second against 30 a second per bot, and officers' commands answered meanwhile."""
    async with open_desk(db_url, clock, api_options={"flood_limits": True}) as desk:
        officers = await add_officers(desk, 90)
        admin = await _admin(desk)
        bid, summary = await compose(desk, admin, "Kecepatan bawaan", "all", gap=GAP)
        await asyncio.sleep(GAP)
        await send_now(desk, admin, summary, bid)
        asking = [desk.api.user(telegram_id) for telegram_id in officers[-3:]]
        for officer in asking:
            await asyncio.sleep(0.5)
            await desk.say(officer, "/bantuan")
        final = await wait_done(desk, bid, timeout=30)

        assert desk.api.rate_limited_count == 0
        assert deliveries_of(desk, bid, ok_only=False) == dict.fromkeys(officers, 1)
        assert "Terkirim: 90 dari 90" in final
        # Counted where Telegram counts: no second at the server above the pace.
        assert desk.api.peak_sends(proactive_only=True) <= 25
        for officer in asking:
            texts = desk.texts_to(officer.id)
            assert any("Desk Pemilu Bot" in t for t in texts), texts


async def test_a_stalled_process_does_not_bunch_a_second_over_the_pace(
    db_url: str, clock: FakeClock
) -> None:
    """The process stops for 0.2 s twice while a send is on its way (a garbage-collector
    pause, a starved CPU): that send reaches Telegram late and the bot wakes up behind. With
    the pace counted only when requests leave, the send counted late and the bot catching up
    put 26 in one second at the server; counted until a second after each answer, never."""
    async with open_desk(db_url, clock, api_options={"flood_limits": True}) as desk:
        officers = await add_officers(desk, 90)
        admin = await _admin(desk)
        bid, summary = await compose(desk, admin, "Jeda proses", "all", gap=GAP)
        await asyncio.sleep(GAP)
        desk.api.freeze_on("sendMessage", 0.2, nth=30)
        desk.api.freeze_on("sendMessage", 0.25, nth=60)
        await send_now(desk, admin, summary, bid)
        final = await wait_done(desk, bid, timeout=30)

        assert desk.api.pending_freezes == 0  # both stalls happened during the broadcast
        assert desk.api.rate_limited_count == 0
        assert deliveries_of(desk, bid, ok_only=False) == dict.fromkeys(officers, 1)
        assert "Terkirim: 90 dari 90" in final
        assert desk.api.peak_sends(proactive_only=True) <= 25


async def test_a_429_in_the_middle_waits_it_out_and_reaches_everyone_once(
    db_url: str, clock: FakeClock
) -> None:
    async with open_desk(db_url, clock) as desk:
        officers = await add_officers(desk, 60)
        admin = await _admin(desk)
        bid, summary = await compose(desk, admin, "Dengan jeda 429", "all", gap=GAP)
        await asyncio.sleep(GAP)
        await send_now(desk, admin, summary, bid)
        for _ in range(500):
            if len(deliveries_of(desk, bid)) >= 20:
                break
            await asyncio.sleep(0.02)
        desk.api.fail_next("sendMessage", status=429, parameters={"retry_after": 2})
        final = await wait_done(desk, bid, timeout=60)

        assert desk.api.count_429("sendMessage") >= 1  # the 429 path really ran
        assert dict(deliveries_of(desk, bid)) == dict.fromkeys(officers, 1)
        assert "Terkirim: 60 dari 60" in final
