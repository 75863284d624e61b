"""Quick filing: one line, one reply; corrections make versions; status and history show them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.roles import Role
from tests.e2e.checkins_helpers import now_ts, stored
from tests.e2e.conftest import TPS, Desk

LINES = [
    ("LOGISTIK KURANG 250 DPD 240", "logistik", "warn"),
    ("siap 06.30 7", "siap", "ok"),
    ("BANJIR 40 PINDAH balai desa", "banjir", "critical"),
    ("Sinyal lemah tsel cari bukit belakang sekolah", "sinyal", "warn"),
    ("KEJADIAN KEAMANAN KRITIS massa berkumpul di depan TPS", "kejadian", "critical"),
]


async def test_every_kind_in_one_line_costs_one_reply(desk: Desk) -> None:
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    for line, kind, severity in LINES:
        calls = await desk.say(siti, line, date=now_ts(desk))
        assert [c.method for c in calls] == ["sendMessage"], line
        (row,) = await stored(desk, kind=kind)
        assert (row.source, row.severity, row.tps_id) == ("quick", severity, TPS)
        receipt = desk.last_text(siti.id)
        assert f"#{row.id}" in receipt and "08:00 WIB" in receipt, receipt
        assert "terlambat" not in receipt


BAD_LINES = [
    ("halo pak", "LOGISTIK, SIAP, BANJIR", "BANJIR 40 PINDAH balai desa"),
    ("BANJIR dalam sekali", "Tinggi air harus berupa angka", "BANJIR 40 PINDAH balai desa"),
    ("SIAP 25:00 7", "Jam tidak dikenali", "SIAP 06:30 7"),
    ("SIAP 06:30 9", "antara 0 dan 7 (Anda menulis 9)", "SIAP 06:30 7"),
    ("BANJIR 40 PINDAH", "Sebutkan tempatnya", "BANJIR 40 PINDAH balai desa"),
    ("KEJADIAN KEAMANAN " + "x" * 150, "terlalu panjang (168 huruf", "BANJIR 40"),
    ("LOGISTIK KURANG 250 DPD 300", "kurang dari yang seharusnya (250)", "LOGISTIK KURANG"),
    ("KEJADIAN <b>HOAKS</b> ini", "tidak dikenali", "KEJADIAN KESEHATAN"),
]


async def test_a_line_that_does_not_parse_changes_nothing_and_shows_an_example(
    desk: Desk,
) -> None:
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    for line, why, example in BAD_LINES:
        calls = await desk.say(siti, line)
        assert [c.method for c in calls] == ["sendMessage"], line
        answer = desk.last_text(siti.id)
        assert why in answer, (line, answer)
        assert "Contoh yang benar" in answer and example in answer, answer
    for junk in ("sticker", "voice"):
        getattr(siti, f"send_{junk}")()
        await desk.settle()
        assert "tidak bisa saya baca" in desk.last_text(siti.id)
    assert await stored(desk) == []


async def test_a_redelivered_line_is_stored_once(desk: Desk) -> None:
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    update = siti.send_text("BANJIR 10", date=now_ts(desk))
    await desk.settle()
    desk.api.push_duplicate(update)
    await desk.settle()
    (row,) = await stored(desk)
    # Telegram delivering the same update again is recognised by the inbox: one receipt only.
    (receipt,) = desk.texts_to(siti.id)
    assert f"#{row.id}" in receipt


async def test_a_line_queued_on_an_offline_phone_is_marked_late(desk: Desk) -> None:
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    written = desk.clock() - timedelta(hours=2, minutes=10)
    await desk.say(siti, "SINYAL TIDAK MANUAL", date=written.timestamp())
    (row,) = await stored(desk)
    assert row.sent_at == written and row.received_at == desk.clock()
    receipt = desk.last_text(siti.id)
    assert "Dikirim 13/02 05:50 WIB, baru sampai 13/02 08:00 WIB" in receipt


async def test_a_correction_is_a_new_version_and_status_and_history_show_it(desk: Desk) -> None:
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    await desk.say(siti, "BANJIR MATAKAKI BISA", date=now_ts(desk))
    desk.clock.advance(minutes=45)
    await desk.say(siti, "BANJIR 80 PINDAH balai desa", date=now_ts(desk))
    assert "Perbaikan ke-1" in desk.last_text(siti.id)
    rows = await stored(desk, kind="banjir")
    assert [(r.version, r.is_current, r.payload["water_cm"]) for r in rows] == [
        (1, False, 10),
        (2, True, 80),
    ]
    await desk.say(siti, "/status")
    status = desk.last_text(siti.id)
    assert "Banjir (perbaikan ke-1), 13/02 08:45 WIB" in status and "80 cm" in status
    assert "Logistik: belum dilaporkan" in status
    await desk.say(siti, "/riwayat banjir")
    history = desk.last_text(siti.id)
    assert history.index("80 cm") < history.index("10 cm")  # newest first
    assert history.count("Banjir") == 2 and "(perbaikan ke-1)" in history


async def test_a_photo_with_a_quick_caption_is_one_check_in(desk: Desk) -> None:
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    siti.send_photo(caption="BANJIR 40 TIDAK BISA")
    await desk.settle()
    (row,) = await stored(desk)
    assert len(row.payload["photos"]) == 1 and row.payload["usable"] is False


async def test_an_edited_line_changes_nothing_and_says_so(desk: Desk) -> None:
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    update = siti.send_text("BANJIR 10")
    await desk.settle()
    edited = dict(update["message"], text="BANJIR 90", edit_date=int(datetime.now(UTC).timestamp()))
    desk.api.push_update({"edited_message": edited})
    await desk.settle()
    (row,) = await stored(desk)
    assert row.payload["water_cm"] == 10
    assert "tidak mengubah laporan" in desk.last_text(siti.id)


async def test_an_invited_officer_gets_the_menu_the_commands_and_the_format(desk: Desk) -> None:
    siti = desk.new_user("Siti")
    await desk.say(siti, f"/start {await desk.invite(Role.TPS, TPS)}")
    names = [c["command"] for c in desk.api.commands("chat", chat_id=siti.id)]
    assert {"banjir", "logistik", "siap", "sinyal", "kejadian", "format", "batal"} <= set(names)
    assert "titip" not in names
    await desk.say(siti, "/format")
    guide = desk.last_text(siti.id)
    for example in ("LOGISTIK LENGKAP 250", "SIAP 06:30 7", "BANJIR 40 PINDAH", "SINYAL LEMAH",
                    "KEJADIAN KEAMANAN"):  # fmt: skip
        assert example in guide
    await desk.say(siti, "/bantuan")
    message = desk.api.last_message(siti.id)
    assert message is not None and "/banjir" in message["text"] and "/format" in message["text"]
    sent = [r for r in desk.api.requests if r.method == "sendMessage" and r.chat_id == siti.id]
    keyboard = sent[-1].params["reply_markup"]["keyboard"]
    labels = [b["text"] for row in keyboard for b in row]
    assert "🌊 Banjir" in labels and "📊 Status" in labels
    await desk.say(siti, "🌊 Banjir")
    assert "Setinggi apa air" in desk.last_text(siti.id)
