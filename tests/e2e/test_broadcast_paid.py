"""Paid broadcasts (PAID_BROADCASTS=true): the preview shows what sending paid costs and saves,
a paid broadcast goes out with `allow_paid_broadcast` far above the free cap, answers still go
out meanwhile, and when the bot's Stars run out the rest goes at the free pace, everyone once.
Against a fake Telegram that enforces its flood limits, its paid window and a Stars balance."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from domain.roles import Role
from storage import people
from storage.models import Broadcast
from tests.conftest import FakeClock
from tests.e2e.broadcasting import SEND, add_officers, buttons, compose, deliveries_of, wait_done
from tests.e2e.conftest import CITY, Desk, open_desk

PAID: dict[str, Any] = {"paid_broadcasts": True}
GAP = 1.6  # the sender's chat gets one message a second


def limits(desk: Desk, *, on: bool) -> None:
    desk.api.state.flood.enabled = on
    desk.api.state.flood.reset()


async def _admin(desk: Desk) -> Any:
    admin = desk.new_user("Admin Desk")
    await desk.member(admin, Role.ADMIN, CITY)
    return admin


def _broadcast_sends(desk: Desk, bid: int) -> list[Any]:
    return [
        r
        for r in desk.api.requests
        if r.method.lower() in SEND
        and any(
            b.get("callback_data") == f"ack:{bid}"
            for row in (r.params.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        )
    ]


async def _press_and_wait(desk: Desk, sender: Any, summary: dict[str, Any], data: str, bid: int):
    sender.press(summary, data)
    for _ in range(750):
        async with desk.sessions.begin() as session:
            b = await session.get(Broadcast, bid)
            if b is not None and b.status != "draft":
                return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"broadcast {bid} was not confirmed")


async def test_the_preview_offers_paid_with_cost_and_time_saved_when_on(
    db_url: str, clock: FakeClock
) -> None:
    async with open_desk(db_url, clock, **PAID) as desk:
        await add_officers(desk, 300)
        admin = await _admin(desk)
        limits(desk, on=False)
        # Telegram answering in 0.25 s, as from Indonesia (the sender's recent round trips).
        desk.running.services.out.limiter.round_trips.extend([0.25] * 40)
        bid, summary = await compose(desk, admin, "Instruksi", "all")
        body = str(summary["text"])
        assert "Jumlah: <b>300 orang</b>" in body or "Jumlah: 300 orang" in body
        # 300 x 0.1 Star; at 0.25 s a round trip the free pace of 25 holds (300 in 12 s) and
        # the paid one is 256 a second (64 awaiting answers: 2 s, not 1); saves 10 s.
        assert "±30 Stars" in body
        assert "selesai dalam ±12 detik" in body and "selesai dalam ±2 detik" in body
        assert "hemat ±10 detik" in body
        assert buttons(summary)[:2] == [f"bc:ok:{bid}", f"bc:pd:{bid}"]


async def test_with_the_option_off_the_preview_is_as_before(db_url: str, clock: FakeClock) -> None:
    async with open_desk(db_url, clock) as desk:
        await add_officers(desk, 300)
        admin = await _admin(desk)
        limits(desk, on=False)
        bid, summary = await compose(desk, admin, "Instruksi", "all")
        assert "Stars" not in str(summary["text"])
        assert f"bc:pd:{bid}" not in buttons(summary)
        assert buttons(summary) == [f"bc:ok:{bid}", f"bc:ch:{bid}", f"bc:x:{bid}"]
        # A paid button from before the option was turned off sends nothing.
        await desk.press(admin, summary, f"bc:pd:{bid}")
        async with desk.sessions.begin() as session:
            b = await session.get(Broadcast, bid)
            assert b is not None and b.status == "draft" and not b.paid


async def test_a_paid_broadcast_goes_far_above_the_free_cap_and_answers_still_go_out(
    db_url: str, clock: FakeClock
) -> None:
    async with open_desk(db_url, clock, api_options={"flood_limits": True}, **PAID) as desk:
        officers = await add_officers(desk, 400)
        admin = await _admin(desk)
        limits(desk, on=False)
        bid, summary = await compose(desk, admin, "Instruksi berbayar", "all")
        limits(desk, on=True)
        started = time.monotonic()
        await _press_and_wait(desk, admin, summary, f"bc:pd:{bid}", bid)
        asking = [desk.api.user(telegram_id) for telegram_id in officers[-3:]]
        for officer in asking:
            officer.send_text("/bantuan")
        final = await wait_done(desk, bid, timeout=30)
        took = time.monotonic() - started

        # Far above the free cap (25 a second: 16 s for 400 people): Telegram saw more than its
        # 30-a-second bulk cap in one second, none of them refused.
        assert desk.api.peak_sends(proactive_only=False) > 30, took
        sends = _broadcast_sends(desk, bid)
        assert all(r.params.get("allow_paid_broadcast") is True for r in sends)
        assert deliveries_of(desk, bid, ok_only=False) == dict.fromkeys(officers, 1)
        assert desk.api.rate_limited_count == 0
        assert desk.api.state.paid_messages == 400
        assert desk.api.state.star_tenths == 4000 - 400  # 400 x 0.1 Star drawn
        assert "Terkirim: 400 dari 400" in final
        assert "Berbayar (Telegram Stars): 400 pesan, ±40 Stars" in final
        # The bulk cap saw none of them: proactive peak stays within the free cap.
        assert desk.api.peak_sends(proactive_only=True) <= 25
        for officer in asking:
            answers = [
                r
                for r in desk.api.requests
                if r.method == "sendMessage"
                and r.params.get("chat_id") == officer.id
                and "Desk Pemilu Bot" in str(r.params.get("text", ""))
            ]
            assert answers, desk.texts_to(officer.id)
            assert answers[0].ok
        async with desk.sessions.begin() as session:
            entries = await people.audit_entries(session, action="broadcast_confirmed")
        assert entries[-1].detail["paid"] is True
        assert entries[-1].detail["recipients"] == 400
        assert entries[-1].detail["stars_estimate"] == 40
        await asyncio.sleep(GAP)
        await desk.say(admin, f"/siaran_status {bid}")
        report = desk.texts_to(admin.id)[-1]
        assert "Berbayar (Telegram Stars): 400 pesan" in report


async def test_when_the_stars_run_out_the_rest_goes_free_and_everyone_gets_it_once(
    db_url: str, clock: FakeClock
) -> None:
    api = {"flood_limits": True, "stars": 15}  # enough for 150 paid messages
    async with open_desk(db_url, clock, api_options=api, **PAID) as desk:
        officers = await add_officers(desk, 200)
        admin = await _admin(desk)
        limits(desk, on=False)
        bid, summary = await compose(desk, admin, "Sampai Stars habis", "all")
        limits(desk, on=True)
        await _press_and_wait(desk, admin, summary, f"bc:pd:{bid}", bid)
        final = await wait_done(desk, bid, timeout=60)

        assert dict(deliveries_of(desk, bid)) == dict.fromkeys(officers, 1)
        assert desk.api.state.paid_messages == 150 and desk.api.state.star_tenths == 0
        ok = [r for r in _broadcast_sends(desk, bid) if r.ok]
        assert sum(1 for r in ok if r.params.get("allow_paid_broadcast")) == 150
        assert sum(1 for r in ok if not r.params.get("allow_paid_broadcast")) == 50
        refused = [r for r in _broadcast_sends(desk, bid) if not r.ok]
        assert refused and all(r.status == 400 for r in refused)
        assert desk.api.rate_limited_count == 0
        assert "Terkirim: 200 dari 200" in final
        assert "Stars bot habis" in final
        told = [t for t in desk.texts_to(admin.id) if "saldo Telegram Stars bot habis" in t]
        assert len(told) == 1 and "setelah 150 pesan berbayar" in told[0]
        async with desk.sessions.begin() as session:
            b = await session.get(Broadcast, bid)
            assert b is not None and b.paid and b.stars_out_at is not None
            entries = await people.audit_entries(session, action="broadcast_stars_out")
        assert len(entries) == 1 and entries[0].detail["paid_sent"] == 150


async def test_with_the_option_off_a_broadcast_is_sent_as_before(
    db_url: str, clock: FakeClock
) -> None:
    async with open_desk(db_url, clock, api_options={"flood_limits": True}) as desk:
        officers = await add_officers(desk, 60)
        admin = await _admin(desk)
        limits(desk, on=False)
        bid, summary = await compose(desk, admin, "Seperti biasa", "all")
        limits(desk, on=True)
        await _press_and_wait(desk, admin, summary, f"bc:ok:{bid}", bid)
        final = await wait_done(desk, bid, timeout=30)

        sends = _broadcast_sends(desk, bid)
        assert not any("allow_paid_broadcast" in r.params for r in sends)
        assert dict(deliveries_of(desk, bid)) == dict.fromkeys(officers, 1)
        assert desk.api.state.paid_messages == 0
        assert "Terkirim: 60 dari 60" in final and "Stars" not in final
        assert desk.api.peak_sends(proactive_only=True) <= 25
