"""The gateway as it really behaves: silent phones, late bursts, the send pace, SMS reminders."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from domain.roles import Role
from reminders.scheduler import tick
from storage.digest import build as build_digest
from storage.digest import desk_setup
from tests.conftest import FakeClock
from tests.e2e.conftest import TPS
from tests.e2e.digest_support import GROUP, SCHEDULE, register_group, tps_in
from tests.e2e.sms_support import sms_desk
from tests.smsgateway import InboxSms
from views.desk import digest_messages

SITI = "+6281234567801"


async def test_a_silent_phone_is_reported_and_its_late_burst_is_caught_up_once(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_desk(db_url, clock, sms_silence_minutes=30) as sd:
        desk = sd.desk
        await register_group(desk)
        await sd.officer("Siti", Role.TPS, TPS, SITI)
        assert await sd.phone.ping() == 200
        before = clock()
        await sd.text(SITI, "SIAP 06:30 7", received_at=before)  # arrives on time
        clock.advance(minutes=20)
        assert await sd.service.watch.check() is False  # 20 minutes: not silent yet
        clock.advance(minutes=11)
        assert await sd.service.watch.check() is True
        await desk.settle()  # the notice goes through the sender
        assert "HP gateway SMS diam" in desk.last_text(GROUP)
        assert await sd.service.watch.check() is False  # told once
        told = len(desk.api.messages_to(GROUP))

        # Android killed the app: these reached the phone but no webhook left it.
        sd.gateway.inbox = [
            InboxSms(SITI, "SIAP 06:30 7", before),  # delivered before the outage
            InboxSms(SITI, "BANJIR 40 PINDAH balai desa", before + timedelta(minutes=25)),
            InboxSms(SITI, "SINYAL TIDAK TSEL MANUAL", before + timedelta(minutes=27)),
            InboxSms(SITI, "LOGISTIK LENGKAP", before + timedelta(minutes=29)),
        ]
        clock.advance(hours=2)  # the phone is found and the app opened again
        assert await sd.phone.ping() == 200
        await _until(lambda: len(sd.gateway.exports) == 1)
        (export,) = sd.gateway.exports
        assert export["deviceId"] and export["since"] < before.isoformat()
        await _until(lambda: len(sd.gateway.texts_to(SITI)) == 4)
        await sd.settle()

        group = desk.texts_to(GROUP)[told:]
        assert any("terdengar lagi" in t for t in group), group
        # An SMS check-in alerts the desk like a Telegram one (the flood that closes the TPS).
        assert any("Banjir parah" in t for t in group), group
        rows = await sd.checkins()
        assert sorted(c.kind for c in rows) == ["banjir", "logistik", "siap", "sinyal"]
        assert len(await sd.inbound()) == 4  # the replayed on-time SMS was a duplicate
        late = [c for c in rows if c.kind != "siap"]
        assert all(c.received_at - c.sent_at > timedelta(hours=1) for c in late)
        receipts = sd.gateway.texts_to(SITI)[1:]
        assert all("Terlambat, SMS dikirim 13/02 08:" in r for r in receipts), receipts
        # Outside filing hours (22:00 WIB) silence is not reported.
        clock.advance(hours=10)
        assert await sd.service.watch.check() is False


async def test_the_send_pace_is_held_and_old_answers_expire(db_url: str, clock: FakeClock) -> None:
    async with sms_desk(db_url, clock, sms_per_minute=3, sms_answers_per_hour=60) as sd:
        await sd.officer("Siti", Role.TPS, TPS, SITI)
        for minute in range(7):
            await sd.phone.sms(SITI, f"SIAP 06:{10 + minute} 7")
        await sd.settle()
        assert len(sd.gateway.sent) == 3
        clock.advance(seconds=61)
        await sd.settle()
        assert len(sd.gateway.sent) == 6
        clock.advance(hours=3)  # past the receipts' two-hour time-to-live
        await sd.settle()
        assert len(sd.gateway.sent) == 6
        states = [o.state for o in await sd.outbound()]
        assert states == ["sent"] * 6 + ["expired"]
        for sms in sd.gateway.sent:  # never more than 3 in any minute of the desk's clock
            window = [s for s in sd.gateway.sent if sms.at - timedelta(seconds=60) < s.at <= sms.at]
            assert len(window) <= 3
        assert len(await sd.checkins()) == 7


async def test_sms_reminders_go_only_to_officers_whose_tps_declared_no_signal(
    db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    config = tmp_path / "desk.toml"
    config.write_text(SCHEDULE, encoding="utf-8")
    async with sms_desk(
        db_url, clock, desk_config_file=config, schedule_tick_seconds=300, sms_reminders=True
    ) as sd:
        desk = sd.desk
        tps = await tps_in(desk, "367201")
        phones = [f"+62812000000{i:02d}" for i in range(4)]
        for i, (tps_id, phone) in enumerate(zip(tps, phones, strict=False)):
            await sd.officer(f"Officer {i}", Role.TPS, tps_id, phone)
        await sd.text(phones[0], "SINYAL TIDAK TSEL MANUAL")  # no signal, not filed logistics
        await sd.text(phones[1], "SINYAL BAGUS TSEL")  # has signal
        await sd.text(phones[2], "SINYAL LEMAH TSEL")  # weak is not none
        await sd.text(phones[3], "SINYAL TIDAK XL MANUAL")  # no signal, but files logistics
        await sd.text(phones[3], "LOGISTIK LENGKAP")
        sent_before = len(sd.gateway.sent)
        async with desk.sessions() as session:  # the digest counts what came by SMS
            setup = await desk_setup(session)
            figures = await build_digest(session, "3672", setup=setup, now=clock())
        assert figures.by_sms == 5
        body = "\n".join(digest_messages("id", figures, None, zone=setup.zone))
        assert "Laporan lewat SMS: 5" in body

        clock.advance(hours=7)  # 15:00 WIB: three hours before the logistics deadline
        await tick(desk.running.app)
        await desk.settle()
        await sd.settle()
        new = sd.gateway.sent[sent_before:]
        assert [s.phone for s in new] == [phones[0]]
        (reminder,) = new
        assert reminder.text == (
            f"Desk Pemilu: laporan LOGISTIK TPS {tps[0]} belum masuk, batas 13/02 18:00 WIB. "
            "Balas SMS ini, contoh: LOGISTIK KURANG 250 DPD 240"
        )
        assert reminder.ttl is not None and 3 * 3600 - 5 <= reminder.ttl <= 3 * 3600
        await tick(desk.running.app)  # ticking again sends nothing twice
        await sd.settle()
        assert len(sd.gateway.sent) == sent_before + 1

        sd.service.options.reminders = False  # the desk turns SMS reminders off
        clock.advance(hours=2)  # 17:00 WIB: the one-hour reminder
        await tick(desk.running.app)
        await desk.settle()
        await sd.settle()
        assert len(sd.gateway.sent) == sent_before + 1


async def _until(condition: object, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.02)


async def test_no_sms_reminders_unless_the_desk_turns_them_on(
    db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    config = tmp_path / "desk.toml"
    config.write_text(SCHEDULE, encoding="utf-8")
    async with sms_desk(db_url, clock, desk_config_file=config, schedule_tick_seconds=300) as sd:
        assert sd.desk.settings.sms_reminders is False  # the default
        tps = await tps_in(sd.desk, "367201")
        officer = await sd.officer("Officer", Role.TPS, tps[0], SITI)
        await sd.text(SITI, "SINYAL TIDAK TSEL MANUAL")  # no signal, logistics not filed
        sent_before = len(sd.gateway.sent)
        clock.advance(hours=7)  # 15:00 WIB: when the SMS reminder would go
        await tick(sd.desk.running.app)
        await sd.desk.settle()
        await sd.settle()
        assert sd.gateway.sent[sent_before:] == []
        assert "Logistik" in sd.desk.last_text(officer.id)  # the reminder went, by Telegram
