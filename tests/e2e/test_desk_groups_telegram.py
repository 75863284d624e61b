"""Desk groups as Telegram shapes them: upgraded to supergroups, run with forum topics, with
anonymous admins, channels, stickers and polls; and messages through a business account."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import func, select

from domain.roles import Role
from reminders.alerts import alert_checkin
from reminders.scheduler import tick as tick_once
from storage.models import AuditLog, DeskGroup, OutboxMessage
from tests.e2e.conftest import TPS, Desk
from tests.e2e.digest_support import file, sdesk, tps_in

__all__ = ["sdesk"]  # the fixture, for pytest

OLD = -4001
FORUM = -100_555


async def drain(desk: Desk) -> None:
    """Settle until no call is owed any more (proactive rows wait in the table for the sender's
    poll; charts take a while on a busy machine)."""
    for _ in range(20):
        await desk.settle(timeout=60)
        async with desk.sessions() as session:
            owed = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_(["pending", "sending"]))
            )
        if not owed:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("calls still owed")


async def tick(desk: Desk) -> None:
    await tick_once(desk.running.app)
    await drain(desk)


async def groups(desk: Desk) -> dict[int, tuple[bool, int | None, int | None]]:
    async with desk.sessions() as session:
        rows = (await session.scalars(select(DeskGroup))).all()
    return {g.chat_id: (g.active, g.thread_id, g.alert_thread_id) for g in rows}


@pytest.mark.parametrize("from_first", [False, True])
async def test_an_upgraded_group_moves_once_and_rekap_works_there(
    desk: Desk, from_first: bool
) -> None:
    admin = desk.new_user("Admin")
    await desk.member(admin, Role.ADMIN, "36")
    basic = desk.api.group(OLD, "Desk Cilegon", "group")
    basic.send_text(admin, "/daftargrup")
    await desk.settle()
    assert "sekarang terdaftar" in desk.last_text(OLD)
    new = desk.api.upgrade_group(OLD, by=admin, from_first=from_first)
    await desk.settle()
    assert await groups(desk) == {OLD: (False, None, None), new: (True, None, None)}
    async with desk.sessions() as session:
        moved = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "group_migrated"))
        ).all()
    assert [m.detail["to"] for m in moved] == [new]
    mark = desk.api.mark()
    desk.api.group(new, "Desk Cilegon").send_text(admin, "/rekap")
    await drain(desk)
    sent = [c for c in desk.calls_after(mark) if c.ok]
    assert sent and {c.params["chat_id"] for c in sent} == {new}
    assert "Banten" in desk.last_text(new) or desk.api.sent_files


async def test_a_forum_desk_sends_digests_and_alerts_to_its_topics(
    sdesk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    desk = sdesk
    admin = desk.new_user("Admin")
    await desk.member(admin, Role.ADMIN, "36")
    forum = desk.api.group(FORUM, "Desk Banten", is_forum=True)
    rekap = forum.create_topic(admin, "Rekap")
    insiden = forum.create_topic(admin, "Insiden")
    await desk.settle()
    forum.send_text(admin, "/daftargrup", thread_id=rekap)
    await desk.settle()
    answers = desk.api.messages_to(FORUM)
    assert answers and all(m.get("message_thread_id") == rekap for m in answers)
    assert "dikirim ke topik ini" in answers[-1]["text"]
    forum.send_text(admin, "/daftargrup peringatan", thread_id=insiden)
    await desk.settle()
    assert desk.api.messages_to(FORUM)[-1].get("message_thread_id") == insiden
    assert await groups(desk) == {FORUM: (True, rekap, insiden)}
    forum.send_text(admin, "/rekap", thread_id=insiden)  # the answer stays in its topic
    await drain(desk)
    assert desk.api.messages_to(FORUM)[-1].get("message_thread_id") == insiden

    tps = await tps_in(desk, TPS[:10])
    (flood,) = await file(desk, [tps[0]], "banjir", severity="severe", payload={"water_cm": 90})
    assert await alert_checkin(desk.running.app, desk.running.services, flood) is True
    await drain(desk)
    alert = desk.api.messages_to(FORUM)[-1]
    assert "Banjir" in alert["text"] and alert.get("message_thread_id") == insiden
    desk.clock.advance(hours=1)  # 09:00 WIB on H-1: a digest
    mark = desk.api.mark()
    await tick(desk)
    digest = [c for c in desk.calls_after(mark) if c.ok and c.params.get("chat_id") == FORUM]
    assert digest and all(c.params.get("message_thread_id") == rekap for c in digest)

    # The alerts topic is closed, the digests topic deleted: both fall back to General.
    forum.close_topic(admin, insiden)
    forum.delete_topic(rekap)
    await desk.settle()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="outbox.sender"):
        (second,) = await file(
            desk, [tps[1]], "banjir", severity="severe", payload={"water_cm": 95}
        )
        assert await alert_checkin(desk.running.app, desk.running.services, second) is True
        await drain(desk)
        general = desk.api.messages_to(FORUM)[-1]
        assert "95 cm" in general["text"] and "message_thread_id" not in general
        desk.clock.advance(hours=3)  # 12:00 WIB: the next digest
        mark = desk.api.mark()
        await tick(desk)
    again = [c for c in desk.calls_after(mark) if c.params.get("chat_id") == FORUM]
    delivered = [c for c in again if c.ok]
    assert delivered and all("message_thread_id" not in c.params for c in delivered)
    assert {c.status for c in again if not c.ok} == {400}
    assert any("sending to General instead" in r.getMessage() for r in caplog.records)
    # An admin points the digests back at General from there.
    forum.send_text(admin, "/daftargrup")
    await desk.settle()
    assert await groups(desk) == {FORUM: (True, None, insiden)}
    assert "topik General" in desk.last_text(FORUM)
    # "/daftargrup peringatan" in General: no alert topic of its own, alerts follow the digests.
    forum.send_text(admin, "/daftargrup peringatan")
    await desk.settle()
    assert await groups(desk) == {FORUM: (True, None, None)}
    assert "bersama rekap" in desk.last_text(FORUM)


async def test_what_the_bot_cannot_use_is_answered_where_someone_waits(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    john = desk.new_user("John", language_code="en")
    await desk.member(john, Role.TPS, TPS, language="en")
    admin = desk.new_user("Admin")
    await desk.member(admin, Role.ADMIN, "36")
    for person, expected in ((siti, "tidak bisa saya baca"), (john, "I cannot read this")):
        for act in (person.send_sticker, person.send_voice, person.send_poll):
            mark = desk.api.mark()
            act()
            await desk.settle()
            assert [c.method for c in desk.calls_after(mark)] == ["sendMessage"]
            assert expected in desk.last_text(person.id)

    group = desk.api.group(-100_321, "Desk Cilegon")
    group.send_text(admin, "/daftargrup")
    await desk.settle()
    channel = desk.api.channel(-100_999, "Kanal KPU")
    mark = desk.api.mark()
    group.send_sticker(siti)
    group.send_voice(siti)
    group.send_poll(siti)
    group.send_text(channel, "Pengumuman dari kanal")
    group.send_text(channel, "Diteruskan otomatis", automatic_forward=True)
    group.send_text(group.anonymous, "Halo semua")
    channel.post("Kiriman kanal")
    await desk.settle()
    assert desk.calls_after(mark) == []  # nobody asked the bot

    for command in ("/rekap", "/daftargrup", "/hapusgrup"):
        group.send_text(group.anonymous, command)
        await desk.settle()
        assert "admin anonim" in desk.last_text(-100_321), command
    assert (await groups(desk))[-100_321][0] is True  # nothing changed
    stranger_group = desk.api.group(-100_322, "Grup Lain")
    stranger_group.send_text(stranger_group.anonymous, "/daftargrup")
    await desk.settle()
    assert "admin anonim" in desk.last_text(-100_322)
    assert -100_322 not in await groups(desk)

    owner, customer = desk.new_user("Pemilik"), desk.new_user("Pelanggan", language_code="en")
    connection = desk.api.connect_business(owner)
    await desk.settle()
    connection.send_text(customer, "Hello, is the shop open?")
    await desk.settle()
    answers = [m for m in connection.messages if "sender_business_bot" in m]
    assert len(answers) == 1 and "chat with the bot directly" in answers[0]["text"]
    assert desk.api.messages_to(customer.id) == []
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert problems == []


async def test_a_private_chat_command_typed_in_a_group_says_where_it_works(desk: Desk) -> None:
    """/bantuan, /bahasa, /daftar and the commands for filing work in a private chat only:
    typed in a group by someone the bot knows, they are told so in their language (the bot's
    "not for your role" answer points at /bantuan); a stranger, another bot's command and
    /start (what Telegram sends when the bot is added by link) get silence."""
    admin = desk.new_user("Admin")
    await desk.member(admin, Role.ADMIN, "36")
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    john = desk.new_user("John", language_code="en")
    await desk.member(john, Role.TPS, TPS, language="en")
    group = desk.api.group(-100_323, "Desk Cilegon")
    group.send_text(admin, "/daftargrup")
    await desk.settle()
    for person, command in (
        (admin, "/bantuan"),
        (siti, "/bahasa"),
        (siti, "/banjir"),
        (siti, "/daftar"),
        (admin, "/titip@desk_pemilu_test_bot"),
        (siti, "/nomorhp"),
    ):
        calls = await desk.say_in(group, person, command)
        assert [c.method for c in calls] == ["sendMessage"], command
        name = command[1:].split("@")[0]
        assert (
            desk.last_text(-100_323)
            == f"/{name} dipakai di chat pribadi dengan bot, bukan di grup."
        )
    await desk.say_in(group, john, "/help")
    assert desk.last_text(-100_323) == "/help works in a private chat with the bot, not in a group."
    stranger = desk.new_user("Tamu")
    for person, command in (
        (stranger, "/bantuan"),
        (stranger, "/banjir"),
        (siti, "/banjir@OtherBot"),
        (siti, "/start"),
        (siti, "/tidakada"),
    ):
        assert await desk.say_in(group, person, command) == [], command


@pytest.mark.parametrize(
    "refusal",
    [
        (403, "Forbidden: bot was kicked from the supergroup chat"),
        (403, "Forbidden: the group chat was deleted"),
        (400, "Bad Request: not enough rights to send text messages to the chat"),
    ],
    ids=["kicked", "deleted", "no-rights"],
)
async def test_a_desk_group_telegram_refuses_for_good_is_no_longer_sent_to(
    desk: Desk, refusal: tuple[int, str]
) -> None:
    """The bot was removed or the group deleted without an update saying so: the first refusal
    marks the desk group unreachable (inactive, audited), and it is not tried again. A group
    that only took away the right to send stays registered (that can come back)."""
    from outbox import messages

    status, description = refusal
    admin = desk.new_user("Admin")
    await desk.member(admin, Role.ADMIN, "36")
    group = desk.api.group(-100_324, "Desk Cilegon")
    group.send_text(admin, "/daftargrup")
    await desk.settle()
    desk.api.fail_next("sendMessage", status=status, description=description)
    sender = desk.running.services.out
    await sender.send(*messages.text_message(-100_324, "Rekap", proactive=True), wait=False)
    await drain(desk)
    gone = status == 403
    assert (await groups(desk))[-100_324][0] is not gone
    async with desk.sessions() as session:
        audited = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "group_unreachable"))
        ).all()
        (status_of_rekap,) = (
            await session.scalars(
                select(OutboxMessage.status).where(
                    OutboxMessage.params["text"].as_string() == "Rekap"
                )
            )
        ).all()
    assert [a.detail["chat_id"] for a in audited] == ([-100_324] if gone else [])
    assert status_of_rekap == "unreachable"  # not tried again either way
    assert desk.api.count("sendMessage", chat_id=-100_324) == 2  # the /daftargrup answer, one try
    # The admins are told, once, in their own chat: digests and alerts reach no group now.
    await desk.settle()
    told = [t for t in desk.texts_to(admin.id) if "Desk Cilegon" in t]
    if gone:
        assert len(told) == 1, told
        assert description in told[0] and "/daftargrup" in told[0]
        assert "tidak sampai ke grup mana pun" in told[0]
    else:
        assert told == []
