"""Features meeting each other: a reminder's button starts the filing; a serious check-in
filed by an officer reaches the desk group at once, exactly once."""

from __future__ import annotations

from domain.roles import Role
from tests.e2e.conftest import DISTRICT, Desk
from tests.e2e.digest_support import GROUP, register_group, run_tick, sdesk, tps_in

__all__ = ["sdesk"]  # the fixture


async def test_the_reminder_button_starts_that_filing(sdesk: Desk) -> None:
    desk = sdesk
    (tps, *_) = await tps_in(desk, DISTRICT)
    officer = desk.new_user("Ketua")
    await desk.member(officer, Role.TPS, tps)
    desk.clock.advance(hours=7)  # 15:00 WIB on H-1: the 3-hour logistics reminder
    await run_tick(desk)
    reminder = desk.api.last_message(officer.id)
    assert reminder is not None and "Pengingat" in reminder["text"]
    await desk.press(officer, reminder, "ci:start:logistik")
    opened = desk.last_text(officer.id)
    assert "Logistik" in opened and opened != reminder["text"]
    assert any(
        data.startswith("ci:") and data != "ci:start:logistik"
        for _, data in desk.last_buttons(officer.id)
    )


async def test_a_forged_reminder_button_from_a_stranger_starts_nothing(sdesk: Desk) -> None:
    desk = sdesk
    stranger = desk.new_user("Asing")
    anchor = stranger.send_text("halo")
    await desk.settle()
    await desk.press(stranger, anchor["message"], "ci:start:banjir")
    assert "belum terdaftar" in desk.last_text(stranger.id)


async def test_a_critical_incident_and_a_severe_flood_alert_the_desk_group_once(
    sdesk: Desk,
) -> None:
    desk = sdesk
    await register_group(desk)
    tps = await tps_in(desk, DISTRICT)
    officer, other = desk.new_user("Ketua"), desk.new_user("Ketua Dua")
    await desk.member(officer, Role.TPS, tps[0])
    await desk.member(other, Role.TPS, tps[1])

    await desk.say(officer, "SIAP 06:30 7")
    await desk.say(officer, "KEJADIAN KEAMANAN SEDANG warga ribut di depan TPS")
    assert desk.api.messages_to(GROUP) == []  # nothing serious yet

    await desk.say(officer, "KEJADIAN KEAMANAN KRITIS massa merusak kotak suara")
    await desk.api.wait_for("sendMessage", chat_id=GROUP, timeout=10)
    await desk.settle()
    (alert,) = desk.api.messages_to(GROUP)
    assert tps[0] in alert["text"] and "merusak kotak suara" in alert["text"]

    await desk.say(other, "BANJIR PINGGANG TIDAK BISA PINDAH balai desa")
    await desk.api.wait_for("sendMessage", chat_id=GROUP, count=2, timeout=10)
    await desk.settle()
    first, flood = desk.api.messages_to(GROUP)
    assert first == alert and tps[1] in flood["text"]

    await run_tick(desk)  # the scheduler must not send either alert again
    assert len(desk.api.messages_to(GROUP)) == 2
