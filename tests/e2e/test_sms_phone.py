"""An officer shares their own number from Telegram (`/nomorhp`, a contact button)."""

from __future__ import annotations

import json

from sqlalchemy import select

from domain.roles import Role
from storage.models import Person
from storage.phones import PhoneRow, apply_phones
from storage.sms import set_phone
from tests.e2e.conftest import TPS, Desk


async def test_an_officer_shares_their_own_number_and_only_their_own(desk: Desk) -> None:
    siti, budi = desk.new_user("Siti"), desk.new_user("Budi")
    await desk.member(siti, Role.TPS, TPS)
    await desk.member(budi, Role.TPS, "3672011001-004")
    (call,) = await desk.say(siti, "/nomorhp")
    assert "belum ada" in desk.last_text(siti.id)
    markup = call.params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    ((button,),) = markup["keyboard"]
    assert button["request_contact"] is True

    siti._send(
        {"contact": {"phone_number": "6281234567801", "first_name": "X", "user_id": 7}}, None
    )
    await desk.settle()
    assert "bukan kontak orang lain" in desk.last_text(siti.id)

    siti.send_contact("6281234567801")  # Telegram sends it without the plus
    await desk.settle()
    assert "Nomor +6281234567801 tersimpan" in desk.last_text(siti.id)
    budi.send_contact("+62 812-3456-7801")
    await desk.settle()
    assert "sudah dipakai orang lain" in desk.last_text(budi.id)
    await desk.say(siti, "/nomorhp")
    assert "+6281234567801" in desk.last_text(siti.id)

    async with desk.sessions() as session:
        phones = dict((await session.execute(select(Person.name, Person.phone))).all())
    assert phones == {"Siti": "+6281234567801", "Budi": None}


async def test_a_number_from_the_invite_csv_is_the_officers_once_they_register(
    desk: Desk,
) -> None:
    waiting = await desk.invite(Role.TPS, TPS)
    taken = await desk.invite(Role.TPS, "3672011001-004")
    async with desk.sessions.begin() as session:
        done = await apply_phones(
            session,
            [
                PhoneRow(2, "+6281234567801", code=waiting),
                PhoneRow(3, "+6281234567802", code=taken),
            ],
            desk.clock(),
        )
    assert (done.people, done.waiting) == ([], 2)
    # Someone else gets the second number before its invite is used: nobody's is taken away.
    dedi = desk.new_user("Dedi")
    await desk.member(dedi, Role.TPS, "3672011001-005")
    async with desk.sessions.begin() as session:
        await set_phone(session, dedi.id, "+6281234567802")

    siti, budi = desk.new_user("Siti"), desk.new_user("Budi")
    await desk.say(siti, f"/start {waiting}")
    await desk.say(budi, f"/start {taken}")
    assert "Selamat datang" in desk.last_text(budi.id)
    async with desk.sessions() as session:
        phones = dict((await session.execute(select(Person.telegram_id, Person.phone))).all())
    assert phones == {siti.id: "+6281234567801", budi.id: None, dedi.id: "+6281234567802"}
    await desk.say(siti, "/nomorhp")
    assert "+6281234567801" in desk.last_text(siti.id)
