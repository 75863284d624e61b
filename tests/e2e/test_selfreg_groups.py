"""/daftar with the camat's approval, desk groups, language, and invites made in chat."""

from __future__ import annotations

from domain.roles import Role
from storage import desk_groups, people
from tests.e2e.conftest import DISTRICT, OTHER_DISTRICT_TPS, VILLAGE, Desk


async def _walk_to_tps(desk: Desk, officer_id: int, officer: object) -> str:
    """Pick district, village, page two of its TPS, and TPS 015; return the TPS id."""
    from tests.fakebot import FakeUser

    assert isinstance(officer, FakeUser)
    await desk.say(officer, "/daftar")
    menu = desk.api.last_message(officer_id)
    assert menu is not None and "Pilih kecamatan" in menu["text"]
    buttons = dict((data, label) for label, data in desk.last_buttons(officer_id))
    assert f"dft:b:0:{DISTRICT}" in buttons and buttons[f"dft:b:0:{DISTRICT}"] == "CIBEBER"
    await desk.press(officer, menu, f"dft:b:0:{DISTRICT}")
    menu = desk.api.last_message(officer_id)
    assert menu is not None and "Pilih desa/kelurahan" in menu["text"]
    await desk.press(officer, menu, f"dft:b:0:{VILLAGE}")
    menu = desk.api.last_message(officer_id)
    assert menu is not None and "Pilih TPS" in menu["text"]
    page_one = [d for _, d in desk.last_buttons(officer_id) if d.startswith("dft:t:")]
    assert page_one[0] == f"dft:t:{VILLAGE}-001" and len(page_one) == 12
    await desk.press(officer, menu, f"dft:b:1:{VILLAGE}")
    page_two = [d for _, d in desk.last_buttons(officer_id) if d.startswith("dft:t:")]
    assert page_two[0] == f"dft:t:{VILLAGE}-013"
    await desk.press(officer, menu, f"dft:t:{VILLAGE}-015")
    assert "TPS 015" in desk.last_text(officer_id)
    return f"{VILLAGE}-015"


async def test_self_registration_is_approved_by_the_camat(desk: Desk) -> None:
    camat, other_camat = desk.new_user("Pak Camat"), desk.new_user("Camat Lain")
    await desk.member(camat, Role.CAMAT, DISTRICT)
    await desk.member(other_camat, Role.CAMAT, OTHER_DISTRICT_TPS[:6])
    officer = desk.new_user("Ketua KPPS", username="kpps15")
    tps = await _walk_to_tps(desk, officer.id, officer)
    confirm = desk.api.last_message(officer.id)
    assert confirm is not None
    await desk.press(officer, confirm, f"dft:s:{tps}")
    assert "sudah dikirim" in desk.last_text(officer.id)
    request = desk.api.last_message(camat.id)
    assert request is not None and "Ketua KPPS" in request["text"] and "@kpps15" in request["text"]
    assert desk.api.last_message(other_camat.id) is None
    approve = next(d for _, d in desk.last_buttons(camat.id) if d.startswith("apv:y:"))

    other_msg = other_camat.send_text("x")
    await desk.settle()
    await desk.press(other_camat, other_msg["message"], approve)  # forged: not their district
    async with desk.sessions.begin() as session:
        assert await people.member_by_telegram_id(session, officer.id) is None

    await desk.press(camat, request, approve)
    assert "Disetujui oleh Pak Camat" in desk.last_text(camat.id)
    assert "disetujui" in desk.last_text(officer.id)
    async with desk.sessions.begin() as session:
        member = await people.member_by_telegram_id(session, officer.id)
    assert member is not None and (member.role, member.scope) == (Role.TPS, tps)
    await desk.press(camat, request, approve.replace("apv:y", "apv:n"))
    assert desk.api.callback_answers  # answered, and:
    async with desk.sessions.begin() as session:
        member = await people.member_by_telegram_id(session, officer.id)
    assert member is not None and member.role is Role.TPS


async def test_a_rejected_request_leaves_the_person_unregistered(desk: Desk) -> None:
    camat = desk.new_user("Pak Camat")
    await desk.member(camat, Role.CAMAT, DISTRICT)
    officer = desk.new_user("Orang Asing")
    tps = await _walk_to_tps(desk, officer.id, officer)
    confirm = desk.api.last_message(officer.id)
    assert confirm is not None
    await desk.press(officer, confirm, f"dft:s:{tps}")
    request = desk.api.last_message(camat.id)
    assert request is not None
    await desk.press(
        camat, request, next(d for _, d in desk.last_buttons(camat.id) if d.startswith("apv:n:"))
    )
    assert "ditolak" in desk.last_text(officer.id)
    async with desk.sessions.begin() as session:
        assert await people.member_by_telegram_id(session, officer.id) is None


async def test_without_a_camat_the_request_waits_and_says_so(desk: Desk) -> None:
    officer = desk.new_user("Sendiri")
    tps = await _walk_to_tps(desk, officer.id, officer)
    confirm = desk.api.last_message(officer.id)
    assert confirm is not None
    await desk.press(officer, confirm, f"dft:s:{tps}")
    assert "belum ada camat atau koordinator" in desk.last_text(officer.id)


async def test_the_bot_is_silent_in_groups_until_an_admin_registers_one(desk: Desk) -> None:
    admin, stranger = desk.new_user("Admin"), desk.new_user("Tamu")
    await desk.member(admin, Role.ADMIN, "36")
    group = desk.api.group(-100123, "Desk Pemilu Cilegon")
    mark = desk.api.mark()
    group.send_text(stranger, "halo bot")
    group.send_text(stranger, "/bantuan")
    group.send_text(stranger, "/daftargrup")
    await desk.settle()
    assert desk.calls_after(mark) == []
    group.send_text(admin, "/daftargrup")
    await desk.settle()
    assert "sekarang terdaftar sebagai grup Desk Pemilu" in desk.last_text(-100123)
    async with desk.sessions.begin() as session:
        assert await desk_groups.is_desk_group(session, -100123)
        assert [a.action for a in await people.audit_entries(session, action="group_registered")]
    group.send_text(admin, "/daftargrup")
    await desk.settle()
    assert "sudah terdaftar" in desk.last_text(-100123)
    group.send_text(admin, "/hapusgrup")
    await desk.settle()
    assert "tidak lagi menerima" in desk.last_text(-100123)
    mark = desk.api.mark()
    group.send_text(stranger, "halo lagi")
    await desk.settle()
    assert desk.calls_after(mark) == []


async def test_language_switch_changes_every_answer(desk: Desk) -> None:
    officer = desk.new_user("Sari")
    await desk.member(officer, Role.TPS, f"{VILLAGE}-001")
    await desk.say(officer, "/bahasa")
    picker = desk.api.last_message(officer.id)
    assert picker is not None
    await desk.press(officer, picker, "lang:en")
    assert "Language switched to English" in desk.last_text(officer.id)
    await desk.say(officer, "/bantuan")
    assert "What you can do" in desk.last_text(officer.id)
    await desk.say(officer, "/help")
    assert "TPS officer" in desk.last_text(officer.id)


async def test_admins_and_camats_make_invites_in_chat_within_their_scope(desk: Desk) -> None:
    admin, camat = desk.new_user("Admin"), desk.new_user("Camat")
    await desk.member(admin, Role.ADMIN, "3672")
    await desk.member(camat, Role.CAMAT, DISTRICT)
    await desk.say(admin, "/undang camat 367202 3")
    made = desk.last_text(admin.id)
    links = [line for line in made.splitlines() if line.startswith("https://t.me/")]
    assert len(links) == 3
    assert all(
        link.startswith(f"https://t.me/{desk.running.app.bot.username}?start=") for link in links
    )
    newcomer = desk.new_user("Baru")
    await desk.say(newcomer, "/start " + links[0].split("start=")[1])
    assert "Selamat datang" in desk.last_text(newcomer.id)

    for command, expected in [
        ("/undang", "Cara membuat undangan"),
        ("/undang raja 367202", "tidak dikenal"),
        ("/undang camat 3604", "sedangkan Camat memerlukan kode kecamatan"),
        ("/undang camat 360405", "di luar wilayah Anda"),
        ("/undang camat 367299", "tidak ada dalam daftar"),
        ("/undang tps 3672011001-001 999", "Jumlah harus angka"),
    ]:
        await desk.say(admin, command)
        assert expected in desk.last_text(admin.id), command
    await desk.say(camat, "/undang coordinator 367201")
    assert "tidak bisa mengundang" in desk.last_text(camat.id)
    await desk.say(camat, f"/undang tps {VILLAGE}-002")
    assert "https://t.me/" in desk.last_text(camat.id)
    await desk.say(camat, "/undang tps 3672021001-001")
    assert "di luar wilayah Anda" in desk.last_text(camat.id)


async def test_malformed_updates_do_not_crash_the_bot(desk: Desk) -> None:
    officer = desk.new_user("Kuat")
    desk.api.push_update({"update_id": 0})
    desk.api.push_update({"edited_message": {"message_id": 1}})
    officer.send_sticker()
    officer.send_voice()
    officer.send_location(-6.0, 106.0)
    await desk.settle()
    await desk.say(officer, "/start")
    assert "belum terdaftar" in desk.last_text(officer.id)


async def test_removing_the_bot_from_a_desk_group_stops_sending_there(desk: Desk) -> None:
    admin = desk.new_user("Admin")
    await desk.member(admin, Role.ADMIN, "36")
    group = desk.api.group(-100777, "Desk Banten")
    group.send_text(admin, "/daftargrup")
    await desk.settle()
    async with desk.sessions.begin() as session:
        assert await desk_groups.is_desk_group(session, -100777)
    other = desk.api.group(-100778, "Desk Serang")
    other.send_text(admin, "/daftargrup")
    await desk.settle()
    desk.api.add_member_update(group, admin, status="kicked", old_status="member")
    await desk.settle()
    async with desk.sessions.begin() as session:
        assert not await desk_groups.is_desk_group(session, -100777)
        assert await people.audit_entries(session, action="group_removed")
    # The admin is told in their own chat; another desk group still gets the desk's messages.
    (told,) = [t for t in desk.texts_to(admin.id) if "Desk Banten" in t]
    assert "dikeluarkan" in told and "/daftargrup" in told
    assert "grup mana pun" not in told
