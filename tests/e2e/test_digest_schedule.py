"""Reminders, escalation and exactly-once across restarts, driven by the injected clock."""

from __future__ import annotations

import re

import pytest

from domain.roles import Role
from outbox.limiter import Limiter
from reminders.scheduler import tick
from storage import desk_groups, schedules
from tests.e2e.conftest import DISTRICT, Desk
from tests.e2e.digest_support import GROUP, file, register_group, restart, run_tick, sdesk, tps_in

__all__ = ["sdesk"]


async def test_reminders_go_only_to_officers_whose_tps_has_not_filed(sdesk: Desk) -> None:
    desk = sdesk
    tps = await tps_in(desk, DISTRICT)
    done, missing, other_kind = desk.new_user("A"), desk.new_user("B"), desk.new_user("C")
    await desk.member(done, Role.TPS, tps[0])
    await desk.member(missing, Role.TPS, tps[1])
    await desk.member(other_kind, Role.TPS, tps[2])
    await file(desk, [tps[0]], "logistik")
    await file(desk, [tps[2]], "siap")

    desk.clock.advance(hours=6, minutes=59)  # 14:59 WIB on H-1: nothing due yet
    assert [k for k in await run_tick(desk) if k.startswith("reminder")] == []
    desk.clock.advance(minutes=1)  # 15:00 WIB: three hours before the logistics deadline
    await run_tick(desk)
    assert desk.api.messages_to(done.id) == []
    for user, tps_id in ((missing, tps[1]), (other_kind, tps[2])):
        (message,) = desk.api.messages_to(user.id)
        assert message["text"] == (
            f"⏰ Pengingat: laporan Logistik untuk TPS {tps_id} belum masuk. "
            "Tenggat 13/02 18:00 WIB (3j 0m lagi)."
        )
        assert desk.last_buttons(user.id) == [("📝 Lapor Logistik sekarang", "ci:start:logistik")]
    await run_tick(desk)  # ticking again sends nothing twice
    assert len(desk.api.messages_to(missing.id)) == 1

    await file(desk, [tps[1]], "logistik")  # B files in between
    desk.clock.advance(hours=2)  # 17:00 WIB: one hour before
    await run_tick(desk)
    assert len(desk.api.messages_to(missing.id)) == 1
    assert len(desk.api.messages_to(other_kind.id)) == 2
    assert "(1j 0m lagi)" in desk.last_text(other_kind.id)


async def test_at_the_deadline_each_camat_gets_the_missing_tps_of_the_district(
    sdesk: Desk,
) -> None:
    desk = sdesk
    ours, theirs = desk.new_user("Camat Cibeber"), desk.new_user("Camat Cilegon")
    await desk.member(ours, Role.CAMAT, DISTRICT)
    other_district = "367202"
    await desk.member(theirs, Role.CAMAT, other_district)
    district_tps = await tps_in(desk, DISTRICT)
    unfiled = {district_tps[3], district_tps[70], district_tps[71], district_tps[-1]}
    await file(desk, [t for t in district_tps if t not in unfiled], "logistik")
    await file(desk, (await tps_in(desk, other_district))[:10], "logistik")

    desk.clock.advance(hours=10)  # 18:00 WIB on H-1: the logistics deadline
    await run_tick(desk)
    (message,) = desk.api.messages_to(ours.id)
    body = message["text"]
    assert body.startswith("🚨 Tenggat Logistik lewat (13/02 18:00 WIB).")
    assert f"4 dari {len(district_tps)} TPS di Kec. CIBEBER belum lapor" in body
    listed = set()
    for village, numbers in re.findall(r"^• (.+?): ([\d, ]+)$", body, re.MULTILINE):
        listed |= {(village, int(n)) for n in numbers.split(", ")}
    async with desk.sessions.begin() as session:
        from storage.coverage import missing_tps

        _, expected = await missing_tps(session, "logistik", DISTRICT)
    assert listed == {(m.village, m.number) for m in expected}
    assert {m.tps_id for m in expected} == unfiled
    (other,) = desk.api.messages_to(theirs.id)
    assert len(other["text"]) <= 4096 and "Kec. CILEGON" in other["text"]
    await run_tick(desk)
    assert len(desk.api.messages_to(ours.id)) == 1


async def test_a_restart_in_the_middle_of_sending_neither_repeats_nor_skips(
    sdesk: Desk,
) -> None:
    desk = sdesk
    tps = await tps_in(desk, DISTRICT)
    officers = [desk.new_user(f"KPPS {n}") for n in range(8)]
    for officer, tps_id in zip(officers, tps, strict=False):
        await desk.member(officer, Role.TPS, tps_id)
    desk.clock.advance(hours=7)  # the 3-hour logistics reminder is due
    # Two a second, so the stop surely falls in the middle of the round.
    desk.running.services.out.first.limiter = Limiter(rate=2)
    mark = desk.api.mark()
    await tick(desk.running.app)  # the slot owes its 8 reminders; the sender works them off
    await desk.api.wait_for_all("sendMessage", count=3, after=mark, timeout=10)
    await restart(desk)  # stopped here: calls in flight finish, the rest stay owed
    before = sum(1 for o in officers if desk.api.messages_to(o.id))
    assert 3 <= before < len(officers)  # the stop really came in the middle
    await run_tick(desk)
    counts = [len(desk.api.messages_to(o.id)) for o in officers]
    assert counts == [1] * len(officers)
    async with desk.sessions.begin() as session:
        slot = await schedules.slot_by_key(session, "reminder:logistik:2024-02-13T18:00+07:00:180")
    assert slot is not None and (slot.status, slot.sent) == ("done", len(officers))


async def test_slots_due_while_down_are_sent_within_grace_and_missed_beyond(
    sdesk: Desk,
) -> None:
    desk = sdesk
    await register_group(desk)
    officer = desk.new_user("KPPS")
    await desk.member(officer, Role.TPS, (await tps_in(desk, DISTRICT))[0])
    # Down from 08:00 WIB until 12:30 WIB: the 09:00 digest is past its window (the 12:00 one
    # superseded it), the 12:00 digest is within its grace; the 15:00 reminder is not due yet.
    desk.clock.advance(hours=4, minutes=30)
    await restart(desk)
    await run_tick(desk)
    async with desk.sessions.begin() as session:
        missed = await schedules.slot_by_key(session, "digest:2024-02-13T09:00+07:00")
        sent = await schedules.slot_by_key(session, "digest:2024-02-13T12:00+07:00")
    assert missed is not None and missed.status == "missed" and missed.sent == 0
    assert sent is not None and sent.status == "done" and sent.sent == 3  # text, chart, sheet
    texts = [m for m in desk.api.messages_to(GROUP) if "Rekap Desk Pemilu" in m.get("text", "")]
    assert len(texts) == 1 and "13/02 12:30 WIB" in texts[0]["text"]
    # the bot is down through the whole reminder window: past the deadline it is missed
    desk.clock.advance(hours=6)  # 18:30 WIB, after the logistics deadline
    await run_tick(desk)
    async with desk.sessions.begin() as session:
        reminder = await schedules.slot_by_key(
            session, "reminder:logistik:2024-02-13T18:00+07:00:180"
        )
        escalation = await schedules.slot_by_key(
            session, "escalation:logistik:2024-02-13T18:00+07:00"
        )
    assert reminder is not None and reminder.status == "missed"
    assert escalation is not None and escalation.status == "done"
    assert desk.api.messages_to(officer.id) == []
    admin = desk.new_user("Admin Lihat")
    await desk.member(admin, Role.ADMIN, "36")
    await desk.say(admin, "/tenggat")
    shown = desk.last_text(admin.id)
    assert "Terlewat" in shown and "pengingat Logistik 13/02 15:00 WIB" in shown
    assert "reminder:" not in shown
    assert "Belum ada grup Desk aktif" not in shown
    # Without a desk group the schedule says that its digests and alerts reach nobody.
    async with desk.sessions.begin() as session:
        for chat_id, _, _ in await desk_groups.desk_groups(session):
            await desk_groups.unregister_group(session, chat_id)
    await desk.say(admin, "/tenggat")
    shown = desk.last_text(admin.id)
    assert "Belum ada grup Desk aktif" in shown and "/daftargrup" in shown


async def test_a_past_election_day_is_one_missed_line_in_the_desks_zone(
    sdesk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    """The example schedule copied as is (its election is over): one warning, in WIB, asking
    about election_day; nothing is sent for the past slots."""
    sdesk.clock.advance(days=30)
    mark = sdesk.api.mark()
    await run_tick(sdesk)
    lines = [r.getMessage() for r in caplog.records if "fell due" in r.getMessage()]
    assert len(lines) == 1, lines
    assert "is election_day in the schedule right?" in lines[0]
    assert "WIB" in lines[0] and "+00:00" not in lines[0] and "UTC" not in lines[0]
    assert [c for c in sdesk.calls_after(mark) if c.method == "sendMessage"] == []
