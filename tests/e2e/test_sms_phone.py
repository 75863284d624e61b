"""An officer shares their own number from Telegram (`/nomorhp`, a contact button)."""

from __future__ import annotations

import json

from sqlalchemy import select

from domain.roles import Role
from storage.models import Person
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
