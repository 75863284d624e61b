"""Every way into the bot, and every way it refuses, as real people would try them."""

from __future__ import annotations

from sqlalchemy import select

from domain.roles import Role
from storage import people
from storage.models import AuditLog, Invite
from tests.e2e.conftest import DISTRICT, OTHER_DISTRICT_TPS, TPS, Desk


async def test_a_stranger_is_told_how_to_register_and_sees_nothing_else(desk: Desk) -> None:
    siti = desk.new_user()
    for message in ("halo", "/start", "/status", "BANJIR 40"):
        calls = await desk.say(siti, message)
        assert len(calls) == 1, message
        assert "belum terdaftar" in desk.last_text(siti.id)
        assert "tautan undangan" in desk.last_text(siti.id)
    english = desk.new_user("John", language_code="en")
    await desk.say(english, "hello")
    assert "You are not registered" in desk.last_text(english.id)


async def test_an_invite_link_registers_and_greets_with_what_they_can_do(desk: Desk) -> None:
    code = await desk.invite(Role.CAMAT, DISTRICT)
    budi = desk.new_user("Budi <Camat> & Co")
    await desk.say(budi, f"/start {code}")
    greeting = desk.last_text(budi.id)
    assert "Selamat datang, Budi <Camat> & Co!" in greeting  # escaped on the wire, shown plain
    assert "Camat" in greeting and "CIBEBER" in greeting
    assert "/undang" in greeting and "/bantuan" in greeting
    async with desk.sessions.begin() as session:
        member = await people.member_by_telegram_id(session, budi.id)
        invite = (await session.execute(select(Invite))).scalar_one()
        actions = [a.action for a in await people.audit_entries(session)]
    assert member is not None and (member.role, member.scope) == (Role.CAMAT, DISTRICT)
    assert invite.used_by == member.id and invite.used_at is not None
    assert "invite_redeemed" in actions
    assert code not in invite.code_hash  # only the hash is stored
    names = [c["command"] for c in desk.api.commands("chat", chat_id=budi.id)]
    assert "undang" in names and "daftar" not in names


async def test_used_unknown_and_expired_codes_each_get_their_own_answer(desk: Desk) -> None:
    code = await desk.invite(Role.TPS, TPS)
    first, second = desk.new_user("Ani"), desk.new_user("Dedi")
    await desk.say(first, f"/start {code}")
    await desk.say(second, f"/start {code}")
    assert "sudah dipakai" in desk.last_text(second.id)
    await desk.say(first, f"/start {code}")  # their own link, tapped again
    again = desk.last_text(first.id)
    assert "sudah terdaftar sebagai Petugas TPS" in again
    assert "sudah dipakai" not in again
    await desk.say(second, "/start AAAAAAAAAAAAAAAA")
    assert "tidak dikenal" in desk.last_text(second.id)
    await desk.say(second, "/start <b>")
    assert "tidak dikenal" in desk.last_text(second.id)
    old = await desk.invite(Role.TPS, TPS, days=30)
    desk.clock.advance(days=31)
    await desk.say(second, f"/start {old}")
    assert "kedaluwarsa" in desk.last_text(second.id)
    async with desk.sessions.begin() as session:
        assert await people.member_by_telegram_id(session, second.id) is None


async def test_repeated_wrong_codes_are_throttled(desk: Desk) -> None:
    guesser = desk.new_user("Tebak")
    for attempt in range(5):
        await desk.say(guesser, f"/start WRONGCODE{attempt:07d}")
        assert "tidak dikenal" in desk.last_text(guesser.id)
    good = await desk.invite(Role.TPS, TPS)
    await desk.say(guesser, f"/start {good}")
    assert "Terlalu banyak kode yang salah" in desk.last_text(guesser.id)
    async with desk.sessions.begin() as session:
        assert await people.member_by_telegram_id(session, guesser.id) is None
    desk.clock.advance(minutes=16)
    await desk.say(guesser, f"/start {good}")
    assert "Selamat datang" in desk.last_text(guesser.id)


async def test_a_registered_person_is_asked_before_switching(desk: Desk) -> None:
    rina = desk.new_user("Rina")
    await desk.member(rina, Role.TPS, TPS)
    code = await desk.invite(Role.CAMAT, DISTRICT)
    await desk.say(rina, f"/start {code}")
    question = desk.api.last_message(rina.id)
    assert question is not None
    assert "Ganti pendaftaran Anda?" in question["text"]
    buttons = desk.last_buttons(rina.id)
    no = next(data for label, data in buttons if data.startswith("inv:n:"))
    yes = next(data for label, data in buttons if data.startswith("inv:y:"))
    await desk.press(rina, question, no)
    assert "tidak berubah" in desk.last_text(rina.id)
    async with desk.sessions.begin() as session:
        member = await people.member_by_telegram_id(session, rina.id)
    assert member is not None and member.role is Role.TPS

    await desk.press(rina, question, yes)  # the old button after answering "no"
    async with desk.sessions.begin() as session:
        member = await people.member_by_telegram_id(session, rina.id)
    assert member is not None and member.role is Role.TPS

    await desk.say(rina, f"/start {code}")
    question = desk.api.last_message(rina.id)
    assert question is not None
    await desk.press(rina, question, yes)
    async with desk.sessions.begin() as session:
        member = await people.member_by_telegram_id(session, rina.id)
        switched = (
            await session.execute(select(AuditLog).where(AuditLog.action == "role_switched"))
        ).scalar_one()
    assert member is not None and (member.role, member.scope) == (Role.CAMAT, DISTRICT)
    assert switched.detail["previous"] == ["tps", TPS]


async def test_someone_elses_switch_button_does_nothing(desk: Desk) -> None:
    rina, mallory = desk.new_user("Rina"), desk.new_user("Mallory")
    await desk.member(rina, Role.TPS, TPS)
    await desk.member(mallory, Role.TPS, OTHER_DISTRICT_TPS)
    code = await desk.invite(Role.ADMIN, "36")
    await desk.say(rina, f"/start {code}")
    yes = next(d for _, d in desk.last_buttons(rina.id) if d.startswith("inv:y:"))
    forged = mallory.send_text("x")  # a message in Mallory's own chat to hang the press on
    await desk.settle()
    await desk.press(mallory, forged["message"], yes)
    async with desk.sessions.begin() as session:
        member = await people.member_by_telegram_id(session, mallory.id)
    assert member is not None and member.role is Role.TPS
