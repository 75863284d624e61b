"""Guided check-ins: one message edited step by step, a summary, then the receipt."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from domain.roles import Role
from storage.models import Checkin
from tests.e2e.checkins_helpers import (
    button_data,
    conversation,
    draft_message,
    now_ts,
    stored,
    tap,
)
from tests.e2e.conftest import TPS, Desk
from tests.fakebot import FakeUser, RequestRecord


async def officer(desk: Desk, name: str = "Siti") -> FakeUser:
    user = desk.new_user(name)
    await desk.member(user, Role.TPS, TPS)
    return user


def kept_photos(folder: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()[:2]) for p in sorted(folder.rglob("*.jpg"))]


def methods(calls: list[RequestRecord]) -> list[str]:
    """The messages sent and edited; button answers are not messages (one per press)."""
    return [c.method for c in calls if c.method != "answerCallbackQuery"]


async def test_a_flood_is_filed_with_buttons_in_one_edited_message(desk: Desk) -> None:
    siti = await officer(desk)
    calls = await desk.say(siti, "/banjir", date=now_ts(desk))
    first = draft_message(desk, siti)
    calls += await tap(desk, siti, "40")
    calls += await tap(desk, siti, "no")  # usable
    calls += await tap(desk, siti, "yes")  # relocate
    calls += await desk.say(siti, "Balai desa <Cibeber> & co", date=now_ts(desk))
    calls += await tap(desk, siti, "yes")  # logistics safe
    calls += await tap(desk, siti, "_skip")  # photo
    summary = desk.last_text(siti.id)
    assert "Balai desa <Cibeber> & co" in summary and "40 cm" in summary
    calls += await tap(desk, siti, "send")
    # 6 questions + the summary = 7 steps; one call each plus the first message.
    assert methods(calls) == ["sendMessage"] + ["editMessageText"] * 7
    assert [c.method for c in calls].count("answerCallbackQuery") == 6  # every press, once
    edits = [c for c in calls if c.method == "editMessageText"]
    assert {c.params.get("message_id") for c in edits} == {first["message_id"]}
    rows = await stored(desk)
    assert len(rows) == 1
    flood = rows[0]
    assert flood.payload["water_cm"] == 40 and flood.payload["usable"] is False
    assert flood.payload["place"] == "Balai desa <Cibeber> & co"
    assert (flood.source, flood.severity, flood.relayed, flood.version) == (
        "guided",
        "critical",
        False,
        1,
    )
    assert await conversation(desk, siti) is None
    receipt = desk.last_text(siti.id)
    assert f"#{flood.id}" in receipt and "08:00 WIB" in receipt  # 01:00 UTC in Banten
    assert desk.last_buttons(siti.id) == []


async def test_logistics_with_typed_counts_checked_against_expected(desk: Desk) -> None:
    siti = await officer(desk)
    await desk.say(siti, "/logistik")
    await tap(desk, siti, "incomplete")
    await desk.say(siti, "250")
    await tap(desk, siti, "dpd")
    await desk.say(siti, "260")  # more than expected: not a shortage
    assert "kurang dari yang seharusnya (250)" in desk.last_text(siti.id)
    await desk.say(siti, "240")
    await tap(desk, siti, "_skip")  # the count says what is short
    assert "DPD 240" in desk.last_text(siti.id)
    await tap(desk, siti, "send")
    (row,) = await stored(desk)
    assert row.payload["received"] == {"dpd": 240} and row.severity == "warn"


async def test_ready_with_the_now_button_and_officer_buttons(desk: Desk) -> None:
    siti = await officer(desk)
    await desk.say(siti, "/siap")
    await tap(desk, siti, "yes")
    assert "Sekarang (08:00)" in str(desk.last_buttons(siti.id))
    await tap(desk, siti, "now")
    await tap(desk, siti, "6")
    await tap(desk, siti, "no")  # not accessible
    await desk.say(siti, "jalan ke TPS berundak")
    await tap(desk, siti, "send")
    (row,) = await stored(desk)
    assert row.payload == {
        "ready": True,
        "time": "08:00",
        "officers": 6,
        "accessible": False,
        "problem": "jalan ke TPS berundak",
    }


async def test_signal_with_a_location(desk: Desk) -> None:
    siti = await officer(desk)
    await desk.say(siti, "/sinyal")
    await tap(desk, siti, "none")
    await tap(desk, siti, "telkomsel")
    await tap(desk, siti, "place")
    await desk.say(siti, "bukit belakang sekolah")
    siti.send_location(-6.01, 106.08)
    await desk.settle()
    assert "📍 -6.01000, 106.08000" in desk.last_text(siti.id)
    await tap(desk, siti, "send")
    (row,) = await stored(desk)
    assert row.payload["location"] == {"latitude": -6.01, "longitude": 106.08}
    assert (row.payload["level"], row.severity) == ("none", "severe")


async def test_incident_with_a_photo_kept_on_disk(desk: Desk, tmp_path: Path) -> None:
    desk.running.services.download_dir = tmp_path
    siti = await officer(desk)
    await desk.say(siti, "/kejadian")
    await tap(desk, siti, "health")
    await tap(desk, siti, "critical")
    await desk.say(siti, "Ketua KPPS pingsan, dibawa ke puskesmas")
    await tap(desk, siti, "no")
    siti.send_photo()
    await desk.settle()
    assert "📷 1 foto" in desk.last_text(siti.id)
    await tap(desk, siti, "send")
    await desk.settle()
    (row,) = await stored(desk)
    assert row.severity == "critical" and len(row.payload["photos"]) == 1
    assert kept_photos(tmp_path) == [(f"{row.id}-1.jpg", b"\xff\xd8")]


async def test_change_an_answer_at_the_summary(desk: Desk) -> None:
    siti = await officer(desk)
    await desk.say(siti, "/banjir")
    for value in ("10", "yes", "no", "yes", "_skip"):
        await tap(desk, siti, value)
    await tap(desk, siti, "change")
    await tap(desk, siti, "relocate")
    await tap(desk, siti, "yes")
    assert "Ke mana TPS dipindah?" in desk.last_text(siti.id)  # the step it now calls for
    await desk.say(siti, "Masjid Al-Ikhlas")
    assert "Masjid Al-Ikhlas" in desk.last_text(siti.id)
    await tap(desk, siti, "send")
    (row,) = await stored(desk)
    assert (row.payload["relocate"], row.payload["place"]) == (True, "Masjid Al-Ikhlas")


async def test_cancel_at_any_step_stores_nothing(desk: Desk) -> None:
    siti = await officer(desk)
    await desk.say(siti, "/banjir")
    await tap(desk, siti, "40")
    old = draft_message(desk, siti)
    usable_yes = button_data(desk, siti, "yes")
    await desk.say(siti, "/batal")
    assert "dibatalkan" in desk.last_text(siti.id)
    assert await conversation(desk, siti) is None
    calls = await desk.press(siti, old, usable_yes)  # the old button after cancelling
    assert [c.method for c in calls] == ["answerCallbackQuery"]  # refused: no message
    assert (
        "sudah selesai" in desk.api.callback_answers[calls[0].params["callback_query_id"]]["text"]
    )
    await desk.say(siti, "/sinyal")
    await tap(desk, siti, "_cancel")
    assert "dibatalkan" in desk.last_text(siti.id)
    assert await stored(desk) == []
    await desk.say(siti, "/batal")
    assert "Tidak ada laporan" in desk.last_text(siti.id)


async def test_a_restart_mid_conversation_resumes_at_the_same_step(desk: Desk) -> None:
    siti = await officer(desk)
    await desk.say(siti, "/banjir")
    await tap(desk, siti, "80")
    await tap(desk, siti, "yes")
    before = await conversation(desk, siti)
    assert before is not None and before.step == "relocate"
    await desk.restart()
    await tap(desk, siti, "no")  # a button of the message sent before the restart
    await tap(desk, siti, "no")  # logistics not safe
    await tap(desk, siti, "_skip")
    summary = desk.last_text(siti.id)
    assert "80 cm" in summary and "Logistik aman: Tidak" in summary
    await tap(desk, siti, "send")
    (row,) = await stored(desk)
    assert row.payload["water_cm"] == 80 and row.payload["logistics_safe"] is False


async def test_a_restart_while_a_typed_answer_is_awaited(desk: Desk) -> None:
    siti = await officer(desk)
    await desk.say(siti, "/siap")
    await tap(desk, siti, "yes")
    await desk.restart()
    await desk.say(siti, "6.45")
    assert "Berapa petugas" in desk.last_text(siti.id)
    conv = await conversation(desk, siti)
    assert conv is not None and conv.answers == {"ready": True, "time": "06:45"}


async def test_the_same_update_twice_makes_one_check_in(desk: Desk) -> None:
    siti = await officer(desk)
    await desk.say(siti, "/banjir")
    for value in ("0", "yes", "no", "yes", "_skip"):
        await tap(desk, siti, value)
    send = siti.press(draft_message(desk, siti), button_data(desk, siti, "send"))
    await desk.settle()
    mark = desk.api.mark()
    desk.api.push_duplicate(send)
    await desk.settle()
    assert len(await stored(desk)) == 1
    # The inbox knows the update: it is not handled again, so nothing is answered twice.
    assert desk.calls_after(mark) == []


async def test_a_typed_answer_delivered_twice_is_taken_once(desk: Desk) -> None:
    siti = await officer(desk)
    await desk.say(siti, "/logistik")
    await tap(desk, siti, "incomplete")
    typed = siti.send_text("250")
    await desk.settle()
    await tap(desk, siti, "dpd")
    mark = desk.api.mark()
    desk.api.push_duplicate(typed)  # would be "240 < 250 expected" if read as the next answer
    await desk.settle()
    assert desk.calls_after(mark) == []
    conv = await conversation(desk, siti)
    assert conv is not None and conv.step == "received" and "received" not in conv.answers


async def test_many_officers_file_at_once_without_mixing_answers(desk: Desk) -> None:
    people = [desk.new_user(f"P{i}") for i in range(6)]
    tps_ids = [f"3672011001-{i + 1:03d}" for i in range(6)]
    for user, tps in zip(people, tps_ids, strict=True):
        await desk.member(user, Role.TPS, tps)
        user.send_text("/siap")
    await desk.settle()
    for user in people:
        user.press(draft_message(desk, user), button_data(desk, user, "yes"))
    await desk.settle()
    for i, user in enumerate(people):
        user.send_text(f"06:{i:02d}")
    await desk.settle()
    for i, user in enumerate(people):
        user.press(draft_message(desk, user), button_data(desk, user, str(i + 1)))
    await desk.settle()
    for user in people:
        user.press(draft_message(desk, user), button_data(desk, user, "yes"))
    await desk.settle()
    for user in people:
        user.press(draft_message(desk, user), button_data(desk, user, "_skip"))
    await desk.settle()
    for user in people:
        user.press(draft_message(desk, user), button_data(desk, user, "send"))
    await desk.settle()
    async with desk.sessions() as session:
        rows = (await session.execute(select(Checkin).order_by(Checkin.tps_id))).scalars().all()
        assert (await session.execute(select(func.count()).select_from(Checkin))).scalar() == 6
    assert [(r.tps_id, r.payload["time"], r.payload["officers"]) for r in rows] == [
        (tps, f"06:{i:02d}", i + 1) for i, tps in enumerate(tps_ids)
    ]


async def test_bad_input_at_every_kind_of_step_is_asked_again_politely(desk: Desk) -> None:
    siti = await officer(desk)

    async def send(act: str, *args: object) -> str:
        if act == "text":
            await desk.say(siti, str(args[0]))
        else:
            getattr(siti, f"send_{act}")(*args)
            await desk.settle()
        return desk.last_text(siti.id)

    await desk.say(siti, "/siap")
    await tap(desk, siti, "yes")
    assert "Jam tidak dikenali" in await send("text", "25:99")
    assert "Jam tidak dikenali" in await send("text", "25:99")  # the same again: no error
    assert "bukan stiker" in await send("sticker")
    assert "Jam tidak dikenali" in await send("text", "😀")
    assert "Berapa petugas" in await send("text", "07:00")
    assert "antara 0 dan 7 (Anda menulis 9)" in await send("text", "9")
    assert "bukan stiker, suara" in await send("voice")
    assert "harus berupa angka" in await send("text", "tujuh")
    await send("text", "7")
    await tap(desk, siti, "yes")
    assert "terlalu panjang (201 huruf" in await send("text", "x" * 201)
    assert "terlalu pendek" in await send("text", "ok")
    assert "bukan stiker" in await send("photo")
    conv = await conversation(desk, siti)
    assert conv is not None and conv.step == "problem"
    assert conv.answers == {"ready": True, "time": "07:00", "officers": 7, "accessible": True}

    await desk.say(siti, "/banjir")
    assert "harus berupa angka" in await send("text", "dalam sekali")
    assert "antara 0 dan 300" in await send("text", "400")
    await tap(desk, siti, "10")
    assert "Tekan salah satu tombol" in await send("text", "mungkin")
    assert "Tekan salah satu tombol" in await send("sticker")
    for value in ("yes", "no", "yes"):
        await tap(desk, siti, value)
    assert "Kirim foto" in await send("text", "fotonya nanti")
    assert "Kirim foto" in await send("voice")

    await desk.say(siti, "/sinyal")
    for value in ("good", "_skip"):
        await tap(desk, siti, value)
    assert "di luar Indonesia" in await send("location", 0.0, 0.0)
    assert "Kirim lokasi" in await send("text", "di sini")
    await tap(desk, siti, "_skip")
    assert "Tekan salah satu tombol" in await send("sticker")  # at the summary
    await tap(desk, siti, "send")
    (row,) = await stored(desk)
    assert row.payload["location"] is None and row.kind == "sinyal"
