"""Filing by SMS end to end: the fake gateway phone, signed webhooks, the real bot, receipts."""

from __future__ import annotations

from datetime import timedelta

from bot import metrics
from domain.rehearsal import DEFAULT_PLAN
from domain.roles import Role
from domain.sms import is_plain_gsm7
from storage import export, rehearsals
from tests.conftest import FakeClock
from tests.e2e.conftest import DISTRICT, OTHER_DISTRICT_TPS, TPS
from tests.e2e.sms_support import DESK_NUMBER, sms_desk

SITI = "+6281234567801"
LINES = [
    ("LOGISTIK KURANG 250 DPD 240", "logistik", "warn"),
    ("siap 06.30 7", "siap", "ok"),
    ("BANJIR 40 PINDAH balai desa", "banjir", "critical"),
    ("Sinyal tidak tsel manual", "sinyal", "severe"),
    ("KEJADIAN KEAMANAN KRITIS massa berkumpul di depan TPS", "kejadian", "critical"),
]


def _sent_value(purpose: str, outcome: str) -> float:
    return metrics.SMS_SENT.labels(purpose, outcome)._value.get()


async def test_an_officer_files_every_kind_by_sms_and_gets_one_receipt_each(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_desk(db_url, clock) as sd:
        await sd.officer("Siti", Role.TPS, TPS, "0812-3456-7801")  # stored as +62812...
        receipts_before = _sent_value("receipt", "sent")
        for line, kind, severity in LINES:
            # The phone reports the SMS centre's time: a minute before it reached the bot.
            status = await sd.text(
                "6281234567801", line, received_at=clock() - timedelta(minutes=1)
            )
            assert status == 202
            (row,) = await sd.checkins(kind=kind)
            assert (row.source, row.severity, row.tps_id, row.relayed) == (
                "sms",
                severity,
                TPS,
                False,
            )
            assert row.sent_at == clock() - timedelta(minutes=1) and row.received_at == clock()
            receipt = sd.gateway.texts_to(SITI)[-1]
            assert receipt.startswith(f"OK #{row.id} {kind.upper()} TPS {TPS} diterima 08:00 WIB")
            assert "Terlambat" not in receipt
            assert is_plain_gsm7(receipt) and len(receipt) <= 160
        assert len(sd.gateway.texts_to(SITI)) == len(LINES)
        assert _sent_value("receipt", "sent") - receipts_before == len(LINES)
        assert all(s.ttl is not None and s.ttl >= 5 for s in sd.gateway.sent)

        # A correction is a new version, as on Telegram.
        await sd.text(SITI, "BANJIR 80 TIDAK BISA PINDAH masjid")
        versions = await sd.checkins(kind="banjir")
        assert [(c.version, c.is_current) for c in versions] == [(1, False), (2, True)]
        assert "Versi 2." in sd.gateway.texts_to(SITI)[-1]
        assert b"deskbot_sms_sent_total" in metrics.render()

        # The desk sees the channel: /tps marks SMS check-ins, the spreadsheet has a column.
        coordinator = sd.desk.new_user("Koordinator")
        await sd.desk.member(coordinator, Role.COORDINATOR, "3672")
        await sd.desk.say(coordinator, f"/tps {TPS}")
        assert sd.desk.last_text(coordinator.id).count("(lewat SMS)") == len(LINES) + 1
        async with sd.desk.sessions() as session:
            sheets = await export.checkin_sheets(session, "3672")
        channels = {row[s.header.index("source")] for s in sheets for row in s.rows}
        assert channels == {"sms"}


async def test_a_bad_line_gets_one_short_sms_saying_what_was_wrong(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_desk(db_url, clock) as sd:
        await sd.officer("Siti", Role.TPS, TPS, SITI)
        for line, why, example in [
            ("halo pak", "Awali dengan LOGISTIK, SIAP", "BANJIR 40 PINDAH balai desa"),
            ("SIAP 06:30 9", "Petugas hadir harus 0-7 (tertulis 9)", "SIAP 06:30 7"),
            ("BANJIR 40 PINDAH", "Sebutkan tempatnya", "BANJIR 40 PINDAH balai desa"),
            ("SINYAL 😀 tsel", "Kata ? tidak dikenali", "SINYAL LEMAH"),
        ]:
            before = len(sd.gateway.sent)
            await sd.text(SITI, line)
            assert len(sd.gateway.sent) == before + 1, line
            answer = sd.gateway.texts_to(SITI)[-1]
            assert answer.startswith("Laporan TIDAK diterima: "), answer
            assert why in answer and f"Contoh: {example}" in answer, answer
            assert is_plain_gsm7(answer) and len(answer) <= 160
        assert await sd.checkins() == []
        assert [r.status for r in await sd.inbound()] == ["rejected"] * 4


async def test_the_same_sms_twice_with_different_envelope_ids_files_once(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_desk(db_url, clock) as sd:
        await sd.officer("Siti", Role.TPS, TPS, SITI)
        moment = clock() - timedelta(seconds=20)
        first = await sd.text(SITI, "SIAP 06:30 7", received_at=moment, envelope_id="env-1")
        again = await sd.text(SITI, "SIAP 06:30 7", received_at=moment, envelope_id="env-2")
        assert (first, again) == (202, 200)
        (row,) = await sd.inbound()
        assert (row.deliveries, row.envelope_id, row.status) == (2, "env-1", "filed")
        assert len(await sd.checkins()) == 1
        assert len(sd.gateway.texts_to(SITI)) == 1
        # The payload's messageId is a content hash: the same text later is another SMS.
        await sd.text(SITI, "SIAP 06:30 7", received_at=moment + timedelta(minutes=5))
        assert [c.version for c in await sd.checkins()] == [1, 2]


async def test_unsigned_forged_and_stale_webhooks_are_refused_and_stored_nowhere(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_desk(db_url, clock) as sd:
        await sd.officer("Siti", Role.TPS, TPS, SITI)
        body = sd.phone.envelope(
            "sms:received",
            {"message": "SIAP 06:30 7", "sender": SITI, "receivedAt": clock().isoformat()},
        )
        assert await sd.phone.post(body, signed=False) == 401
        assert await sd.phone.post(body, key="someone-elses-key-" * 3) == 403
        assert await sd.phone.post(body, signed_at=clock() - timedelta(minutes=10)) == 403
        assert await sd.phone.post(body, signed_at=clock() + timedelta(minutes=10)) == 403
        await sd.settle()
        assert await sd.inbound() == [] and await sd.checkins() == []
        # The same body, signed now with the right key, is taken.
        assert await sd.phone.post(body) == 202
        await sd.settle()
        assert len(await sd.checkins()) == 1
        # Events the bot does not use are acknowledged (or the phone retries for two days).
        assert await sd.phone.post(sd.phone.envelope("sms:delivered", {"messageId": "x"})) == 200


async def test_operator_notices_short_codes_and_the_desk_number_are_never_answered(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_desk(db_url, clock) as sd:
        for sender in ("TELKOMSEL", "INFO-XL", "363", "8999", DESK_NUMBER, "081100000000"):
            assert await sd.text(sender, "Sisa kuota Anda 0 MB. Balas STOP") == 202
        assert sd.gateway.sent == []
        reasons = [(r.status, r.outcome) for r in await sd.inbound()]
        assert reasons == [
            ("ignored", "alphanumeric"),
            ("ignored", "alphanumeric"),
            ("ignored", "short_code"),
            ("ignored", "short_code"),
            ("ignored", "own"),
            ("ignored", "own"),
        ]


async def test_an_unknown_number_gets_at_most_one_short_answer_a_day(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_desk(db_url, clock) as sd:
        stranger = "+6285700000001"
        await sd.text(stranger, "SIAP 06:30 7")
        await sd.text(stranger, "BANJIR 40")
        await sd.text(stranger, "halo?")
        (answer,) = sd.gateway.texts_to(stranger)
        assert "belum terdaftar" in answer and is_plain_gsm7(answer) and len(answer) <= 160
        assert await sd.checkins() == []
        clock.advance(hours=25)
        await sd.text(stranger, "SIAP 06:30 7")
        assert len(sd.gateway.texts_to(stranger)) == 2


async def test_the_same_text_again_and_again_is_throttled(db_url: str, clock: FakeClock) -> None:
    async with sms_desk(db_url, clock) as sd:
        await sd.officer("Siti", Role.TPS, TPS, SITI)
        for minute in range(5):
            await sd.text(SITI, "halo pak", received_at=clock() + timedelta(minutes=minute))
        # Two answers (the repeat limit), then silence for the hour; nothing stored.
        assert len(sd.gateway.texts_to(SITI)) == 2
        statuses = [(r.status, r.outcome) for r in await sd.inbound()]
        assert statuses[2:] == [("ignored", "repeated")] * 3


async def test_a_camat_relays_for_a_tps_of_the_district_by_sms(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_desk(db_url, clock) as sd:
        camat = "+6281298765432"
        await sd.officer("Pak Camat", Role.CAMAT, DISTRICT, camat)
        await sd.text(camat, f"{TPS} SINYAL TIDAK TSEL MANUAL")
        (row,) = await sd.checkins()
        assert (row.tps_id, row.kind, row.relayed, row.source) == (TPS, "sinyal", True, "sms")
        assert sd.gateway.texts_to(camat)[-1].startswith(f"OK #{row.id} SINYAL TPS {TPS}")
        await sd.text(camat, "SIAP 06:30 7")
        assert "awali dengan nomor TPS" in sd.gateway.texts_to(camat)[-1]
        assert f"Contoh: {TPS} SIAP 06:30 7" in sd.gateway.texts_to(camat)[-1]
        await sd.text(camat, f"{OTHER_DISTRICT_TPS} SIAP 06:30 7")
        assert "di luar kecamatan Anda" in sd.gateway.texts_to(camat)[-1]
        assert len(await sd.checkins()) == 1


async def test_a_passing_gateway_failure_is_retried_and_nothing_is_sent_twice(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_desk(db_url, clock) as sd:
        await sd.officer("Siti", Role.TPS, TPS, SITI)
        sd.gateway.fail_next = [503]
        await sd.text(SITI, "SIAP 06:30 7")
        assert sd.gateway.sent == []
        (queued,) = await sd.outbound()
        assert (queued.state, queued.attempts) == ("queued", 1)
        clock.advance(seconds=31)
        await sd.settle()
        (receipt,) = sd.gateway.texts_to(SITI)
        assert receipt.startswith("OK #")
        (done,) = await sd.outbound()
        assert (done.state, done.attempts) == ("sent", 2)
        # A request refused as a duplicate id (the answer to an earlier try was lost) is sent.
        ids = [body["id"] for _, body in sd.gateway.requests]
        assert ids == [f"desk-{done.id}", f"desk-{done.id}"]


async def test_during_a_rehearsal_an_sms_is_practice_and_a_bad_line_needed_help(
    db_url: str, clock: FakeClock
) -> None:
    async with sms_desk(db_url, clock) as sd:
        await sd.officer("Siti", Role.TPS, TPS, SITI)
        await sd.text(SITI, "SIAP 06:30 7")  # real
        async with sd.desk.sessions.begin() as session:
            await rehearsals.start(session, DEFAULT_PLAN, by=None, now=clock())
        await sd.text(SITI, "SIAP 06:45 7")
        receipt = sd.gateway.texts_to(SITI)[-1]
        assert receipt.startswith("SIMULASI (latihan, bukan data sebenarnya): OK #"), receipt
        assert "Versi" not in receipt and is_plain_gsm7(receipt) and len(receipt) <= 160
        await sd.text(SITI, "SIAP jam tujuh")
        assert sd.gateway.texts_to(SITI)[-1].startswith("Laporan TIDAK diterima: ")
        real, practice = await sd.checkins()
        assert (real.rehearsal_id, real.is_current) == (None, True)
        assert (practice.rehearsal_id, practice.is_current, practice.source) == (1, False, "sms")
        async with sd.desk.sessions.begin() as session:
            await rehearsals.end(session, now=clock())
            report = await rehearsals.report(session, 1, "")
        assert report is not None
        (person,) = report.people
        assert (person.name, person.filed, person.failed_lines, person.needed_help) == (
            "Siti",
            1,
            1,
            True,
        )
