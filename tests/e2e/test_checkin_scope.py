"""Relay by camats, and every way of crossing a scope line failing."""

from __future__ import annotations

from sqlalchemy import update

from domain.roles import Role
from storage import people
from storage.models import Person
from tests.e2e.checkins_helpers import button_data, conversation, draft_message, stored, tap
from tests.e2e.conftest import DISTRICT, OTHER_DISTRICT_TPS, TPS, VILLAGE, Desk

OTHER_TPS_SAME_VILLAGE = "3672011001-004"


async def test_a_camat_relays_a_check_in_picked_with_buttons(desk: Desk) -> None:
    budi = desk.new_user("Budi")
    await desk.member(budi, Role.CAMAT, DISTRICT)
    await desk.say(budi, "/titip")
    villages = [d for _, d in desk.last_buttons(budi.id) if ":v" in d]
    assert villages and all(d.split(":v")[1].startswith(DISTRICT) for d in villages)
    await tap(desk, budi, f"v{VILLAGE}")

    def shown() -> list[str]:
        return [d.split(":")[-1] for _, d in desk.last_buttons(budi.id)]

    assert f"t{TPS}" in shown() and "P1" in shown()  # 60 TPS: 12 a page
    await tap(desk, budi, "P1")
    assert f"t{TPS}" not in shown() and f"t{VILLAGE}-013" in shown()
    await tap(desk, budi, "P0")
    assert "Pilih TPS" in desk.last_text(budi.id)
    await tap(desk, budi, f"t{TPS}")
    await tap(desk, budi, "sinyal")
    assert "titipan oleh Budi" in desk.last_text(budi.id)
    for value in ("none", "_skip", "manual", "_skip", "send"):
        await tap(desk, budi, value)
    (row,) = await stored(desk)
    assert (row.tps_id, row.relayed, row.kind) == (TPS, True, "sinyal")
    assert "Dititipkan oleh Budi" in desk.last_text(budi.id)
    await desk.say(budi, f"/status {TPS}")
    assert "Sinyal, " in desk.last_text(budi.id) and "(titipan)" in desk.last_text(budi.id)
    await desk.say(budi, "/status")
    assert "Sinyal: 1 TPS melapor" in desk.last_text(budi.id)


async def test_a_camat_relays_by_typed_id_and_by_quick_line(desk: Desk) -> None:
    budi = desk.new_user("Budi")
    await desk.member(budi, Role.CAMAT, DISTRICT)
    await desk.say(budi, "/titip")
    await desk.say(budi, "3672011001-4")
    await tap(desk, budi, "banjir")
    assert await conversation(desk, budi) is not None
    calls = await desk.say(budi, f"{TPS} BANJIR 30 BISA")  # a quick line while a button waits
    assert [c.method for c in calls] == ["sendMessage"]
    calls = await desk.say(budi, "BANJIR 30")
    assert "tulis ID TPS di depan" in desk.last_text(budi.id) and len(calls) == 1
    rows = await stored(desk)
    assert [(r.tps_id, r.relayed, r.source) for r in rows] == [(TPS, True, "quick")]


async def test_a_camat_cannot_relay_outside_the_district(desk: Desk) -> None:
    budi = desk.new_user("Budi")
    await desk.member(budi, Role.CAMAT, DISTRICT)
    await desk.say(budi, f"{OTHER_DISTRICT_TPS} BANJIR 40")
    assert "di luar kecamatan Anda" in desk.last_text(budi.id)
    await desk.say(budi, f"/titip {OTHER_DISTRICT_TPS}")
    assert "di luar kecamatan Anda" in desk.last_text(budi.id)
    await desk.say(budi, OTHER_DISTRICT_TPS)  # typed at the picker
    assert "di luar kecamatan Anda" in desk.last_text(budi.id)
    token = button_data(desk, budi, "_cancel").split(":")[1]
    message = draft_message(desk, budi)
    for forged in (f"t{OTHER_DISTRICT_TPS}", f"v{OTHER_DISTRICT_TPS[:10]}"):
        await desk.press(budi, message, f"ci:{token}:pick_tps:{forged}")
    await desk.press(budi, message, f"ci:{token}:pick_kind:banjir")  # skipping the pick
    conv = await conversation(desk, budi)
    assert conv is not None and conv.tps_id is None and conv.step == "pick_tps"
    await desk.say(budi, "/status 367202")
    assert "/status ID-TPS" in desk.last_text(budi.id)  # another district: refused
    assert await stored(desk) == []


async def test_an_officer_files_only_for_their_own_tps(desk: Desk) -> None:
    siti, rudi = desk.new_user("Siti"), desk.new_user("Rudi")
    await desk.member(siti, Role.TPS, TPS)
    await desk.member(rudi, Role.TPS, OTHER_TPS_SAME_VILLAGE)
    await desk.say(siti, f"{OTHER_TPS_SAME_VILLAGE} BANJIR 40")
    assert f"TPS Anda sendiri ({TPS})" in desk.last_text(siti.id)
    await desk.say(siti, f"{TPS} BANJIR 40")  # naming their own is fine
    await desk.say(siti, "/banjir")
    token = button_data(desk, siti, "_cancel").split(":")[1]
    message = draft_message(desk, siti)
    calls = await desk.press(siti, message, f"ci:{token}:pick_tps:t{OTHER_TPS_SAME_VILLAGE}")
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    await desk.press(siti, message, f"ci:{token}:water_cm:999")  # not a preset
    await desk.press(siti, message, "ci:zzzz:water_cm:10")  # malformed
    conv = await conversation(desk, siti)
    assert conv is not None and conv.tps_id == TPS and conv.answers == {}
    await desk.say(rudi, "/banjir")
    rudi_message = draft_message(desk, rudi)
    rudi_data = button_data(desk, rudi, "80")
    calls = await desk.press(siti, rudi_message, rudi_data)  # Siti presses Rudi's button
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    rudi_conv = await conversation(desk, rudi)
    assert rudi_conv is not None and rudi_conv.answers == {}
    await desk.say(siti, f"/status {OTHER_TPS_SAME_VILLAGE}")
    assert "/status ID-TPS" in desk.last_text(siti.id)
    await desk.say(siti, "/titip")
    assert "tidak tersedia untuk peran Anda" in desk.last_text(siti.id)
    rows = await stored(desk)
    assert [(r.tps_id, r.relayed) for r in rows] == [(TPS, False)]


async def test_a_draft_stops_when_the_role_changes(desk: Desk) -> None:
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    await desk.say(siti, "/banjir")
    await tap(desk, siti, "10")
    await desk.member(siti, Role.TPS, OTHER_TPS_SAME_VILLAGE)  # moved to another TPS
    calls = await desk.press(siti, draft_message(desk, siti), button_data(desk, siti, "yes"))
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert await conversation(desk, siti) is None


async def test_strangers_and_coordinators_cannot_file(desk: Desk) -> None:
    eve, kora = desk.new_user("Eve"), desk.new_user("Kora")
    await desk.member(kora, Role.COORDINATOR, "3672")
    await desk.say(eve, "BANJIR 40")
    assert "belum terdaftar" in desk.last_text(eve.id)
    await desk.say(eve, "/banjir")
    assert "belum terdaftar" in desk.last_text(eve.id)
    await desk.say(kora, "BANJIR 40")
    assert "tidak mengerti" in desk.last_text(kora.id)
    await desk.say(kora, "/banjir")
    assert "tidak tersedia" in desk.last_text(kora.id)
    await desk.say(kora, "/status")
    assert "1.247 TPS" in desk.last_text(kora.id)
    assert await stored(desk) == []


async def test_a_person_changed_between_two_lines_is_seen_changed_on_the_next(
    desk: Desk,
) -> None:
    """Who sends an update is read once per update, never kept longer: a new scope, a new role,
    a new language or a revoked account count from the very next message."""
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    await desk.say(siti, "SIAP 06:30 7")
    await desk.member(siti, Role.TPS, OTHER_TPS_SAME_VILLAGE)  # moved to the next TPS
    await desk.say(siti, "SIAP 06:40 7")
    assert [row.tps_id for row in await stored(desk)] == [TPS, OTHER_TPS_SAME_VILLAGE]
    async with desk.sessions.begin() as session:
        await people.set_language(session, siti.id, "en")
    await desk.say(siti, "SIAP 06:50 7")
    assert "received:" in desk.last_text(siti.id)
    await desk.member(siti, Role.CAMAT, DISTRICT)  # now the camat: a line needs its TPS
    await desk.say(siti, "SIAP 07:00 7")
    assert len(await stored(desk)) == 3
    assert "As a camat" in desk.last_text(siti.id)
    async with desk.sessions.begin() as session:
        await session.execute(
            update(Person).where(Person.telegram_id == siti.id).values(revoked_at=desk.clock())
        )
    await desk.say(siti, "SIAP 07:10 7")
    assert len(await stored(desk)) == 3
    assert "belum terdaftar" in desk.last_text(siti.id)
