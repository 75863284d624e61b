"""A rehearsal beside the real schedule: practice check-ins, SIMULASI reminders and digests, the
report, and deleting it all while every real row stays exactly as it was."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select, text

from bot.metrics import CHECKINS
from domain.figures import Figures
from domain.roles import Role
from storage import digest, export
from storage import people as people_repo
from storage.models import Base
from tests.e2e.broadcasting import compose, send_now, wait_done
from tests.e2e.conftest import CITY, DISTRICT, Desk
from tests.e2e.digest_support import GROUP, file, register_group, run_tick, sdesk, tps_in
from tests.fakebot import FakeUser

__all__ = ["sdesk"]

# Rows a rehearsal causes; everything else must survive its deletion unchanged.
# Left out of "real rows unchanged": the rehearsal's own tables, and the logs that the deletion
# itself writes to (its audit entry; the updates asking for it and the answers, in the inbox
# and the outbox).
REHEARSAL_TABLES = {"rehearsal", "rehearsal_event", "audit_log", "inbox_update", "outbox_message"}


async def dump(desk: Desk) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order, as the database returns it."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    async with desk.sessions.begin() as session:
        for table in Base.metadata.sorted_tables:
            order = ", ".join(c.name for c in table.primary_key.columns)
            rows = await session.execute(text(f"SELECT * FROM {table.name} ORDER BY {order}"))
            tables[table.name] = [tuple(r) for r in rows.all()]
    return tables


async def rehearsal_slot_ids(desk: Desk) -> set[int]:
    async with desk.sessions.begin() as session:
        found = await session.execute(text("SELECT id FROM slot WHERE rehearsal_id IS NOT NULL"))
        return {r[0] for r in found.all()}


def real_rows(tables: dict[str, list[tuple[Any, ...]]], slots: set[int]) -> dict[str, Any]:
    """The dump without the rehearsal's rows (by `rehearsal_id`, or hanging off its slots)."""
    real: dict[str, Any] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in REHEARSAL_TABLES:
            continue
        names = [c.name for c in table.columns]
        keep = []
        for row in tables[table.name]:
            values = dict(zip(names, row, strict=True))
            if values.get("rehearsal_id") is not None or values.get("slot_id") in slots:
                continue
            keep.append(row)
        real[table.name] = keep
    return real


async def ask(desk: Desk, user: FakeUser, message: str) -> None:
    """Like `desk.say`, with room for drawing a chart on a busy machine."""
    user.send_text(message)
    await desk.settle(timeout=60)


async def real_figures(desk: Desk) -> Figures:
    async with desk.sessions.begin() as session:
        setup = await digest.desk_setup(session)
        return await digest.build(session, CITY, setup=setup, now=desk.clock())


def shares(figures: Figures) -> dict[str, int]:
    return {kind: figures.total.filed.get(kind, 0) for kind in ("logistik", "siap")}


async def test_a_rehearsal_beside_the_real_schedule_then_deleted(sdesk: Desk) -> None:
    desk = sdesk
    await register_group(desk, scope=CITY)
    admin = desk.new_user("Admin Simulasi")
    await desk.member(admin, Role.ADMIN, CITY)
    tps = await tps_in(desk, DISTRICT)
    siti, budi, cici = desk.new_user("Siti"), desk.new_user("Budi"), desk.new_user("Cici")
    camat = desk.new_user("Camat")
    for user, tps_id in ((siti, tps[0]), (budi, tps[1]), (cici, tps[2])):
        await desk.member(user, Role.TPS, tps_id)
    await desk.member(camat, Role.CAMAT, DISTRICT)
    await file(desk, tps[:5], "logistik")  # real check-ins filed before the rehearsal
    before = await real_figures(desk)
    assert shares(before)["logistik"] == 5 and shares(before)["siap"] == 0
    real_before = await dump(desk)

    # 08:00 WIB on H-1: start, compressed (reminders 10 and 5 minutes before each deadline).
    await desk.say(admin, "/simulasi mulai logistik=20m siap=40m rekap=10m,30m")
    started = desk.last_text(admin.id)
    assert started.startswith("🧪 Simulasi #1 dimulai 13/02 08:00 WIB")
    assert "Logistik: batas 13/02 08:20 WIB" in started
    await desk.say(admin, "/simulasi mulai")
    assert "Simulasi #1 masih berjalan" in desk.last_text(admin.id)

    counted = CHECKINS._value.get()
    await desk.say(siti, "siap 06.30 7")
    receipt = desk.last_text(siti.id)
    assert receipt.startswith("🧪 SIMULASI (latihan"), receipt
    assert "Versi" not in receipt
    await desk.say(siti, "LOGISTIK LENGKAP")
    await desk.say(siti, "siap 06.45 7")  # a correction within the rehearsal
    await desk.say(budi, "SIAP 25:00 7")  # a line that does not parse: needed help
    await desk.say(budi, "siap 06.30 6")
    await desk.say(cici, "/siap")  # starts guided filing, then gives up
    await desk.say(cici, "/batal")
    assert CHECKINS._value.get() == counted  # practice is not counted in /metrics

    during = await real_figures(desk)
    assert shares(during) == shares(before)
    await ask(desk, admin, "/rekap")
    real_rekap = "\n".join(desk.texts_to(admin.id)[-3:])
    assert "TPS siap: 0/1.247" in real_rekap and "SIMULASI" not in real_rekap
    await ask(desk, admin, "/rekap simulasi")
    asked = [t for t in desk.texts_to(admin.id)[-3:] if "Rekap Desk Pemilu" in t]
    assert asked[0].startswith("🧪 SIMULASI") and "TPS siap: 2/1.247" in asked[0], asked
    await desk.say(admin, f"/belum siap {DISTRICT}")
    assert f"{len(tps)} TPS" in desk.last_text(admin.id)  # every TPS still missing siap
    await desk.say(admin, f"/tps {tps[0]}")
    assert "Siap" not in desk.last_text(admin.id)
    async with desk.sessions() as session:  # the one export (/ekspor, deskbot export, page)
        for current_only in (True, False):
            sheets = {
                s.name: s
                for s in await export.checkin_sheets(session, CITY, current_only=current_only)
            }
            assert (len(sheets["logistik"].rows), len(sheets["siap"].rows)) == (5, 0)

    desk.clock.advance(minutes=10)  # 08:10: a rehearsal reminder and digest, SIMULASI
    await run_tick(desk)
    for user in (budi, cici):
        (reminder,) = desk.api.messages_to(user.id)[-1:]
        assert reminder["text"].startswith("🧪 SIMULASI"), reminder["text"]
        assert "Logistik" in reminder["text"]
    assert "Pengingat" not in desk.last_text(siti.id)  # Siti filed logistik in the rehearsal
    group_texts = desk.texts_to(GROUP)
    assert group_texts[0].startswith("🧪 SIMULASI"), group_texts[0]
    assert any("TPS siap: 2/1.247" in t for t in group_texts), group_texts
    assert any("Logistik: 1/1.247" in t for t in group_texts), group_texts

    desk.clock.advance(minutes=10)  # 08:20: the rehearsal's logistics escalation
    await run_tick(desk)
    escalation = desk.last_text(camat.id)
    assert escalation.startswith("🧪 SIMULASI") and "Logistik" in escalation

    desk.clock.advance(minutes=10)  # 08:30: the rehearsal's second digest
    await run_tick(desk)
    desk.clock.advance(minutes=30)  # 09:00: the real digest shows only real figures
    mark = len(desk.texts_to(GROUP))
    await run_tick(desk)
    real_digest = [t for t in desk.texts_to(GROUP)[mark:] if "Rekap Desk Pemilu" in t]
    assert real_digest and real_digest[0].startswith("📊"), desk.texts_to(GROUP)[mark:]
    assert "TPS siap: 0/1.247" in real_digest[0] and "Logistik: 5/1.247" in real_digest[0]

    await desk.say(admin, "/simulasi selesai")
    report = "\n".join(desk.texts_to(GROUP)[-3:])
    assert "Laporan simulasi #1" in report, report
    assert "Sudah melapor (2 orang)" in report and "Perlu bantuan (2 orang)" in report, report
    assert "Belum pernah melapor (2 orang)" in report, report  # Cici and the camat
    assert "Laporan simulasi #1" in desk.texts_to(admin.id)[-2]
    sheets = [f for f in desk.api.sent_files if f.chat_id == GROUP]
    assert sheets[-1].method.lower() == "senddocument" and sheets[-1].file.data is not None
    book = load_workbook(io.BytesIO(sheets[-1].file.data))
    people = {row[0]: row for row in book["simulasi"].iter_rows(min_row=2, values_only=True)}
    assert people["Siti"][3] == 3 and people["Budi"][3] == 1 and people["Cici"][3] == 0
    assert people["Budi"][5] == 1 and people["Cici"][6] == 1
    assert dict(book["tps_per_jenis"].iter_rows(min_row=2, values_only=True)) == {
        "logistik": 1,
        "siap": 2,
    }

    counted = CHECKINS._value.get()
    await desk.say(siti, "siap 07.00 7")  # after the end: a real check-in again
    assert CHECKINS._value.get() == counted + 1
    after_end = await real_figures(desk)
    assert shares(after_end)["siap"] == 1
    assert not desk.last_text(siti.id).startswith("🧪")

    slots = await rehearsal_slot_ids(desk)
    assert slots
    before_delete = await dump(desk)
    await desk.say(admin, "/simulasi hapus")
    buttons = desk.last_buttons(admin.id)
    assert buttons[0][1] == "sim:del:1"
    await desk.press(admin, desk.api.last_message(admin.id), "sim:del:1")
    assert "Data sebenarnya tidak berubah" in desk.last_text(admin.id)
    after_delete = await dump(desk)
    assert real_rows(after_delete, set()) == real_rows(before_delete, slots)
    assert before_delete["checkin"] != after_delete["checkin"]  # something was deleted
    async with desk.sessions.begin() as session:
        left = await session.execute(
            text("SELECT count(*) FROM checkin WHERE rehearsal_id IS NOT NULL")
        )
        assert left.scalar_one() == 0
    # Apart from Siti's real check-in after the end, the real check-ins and their counter
    # are as they were before the rehearsal.
    siti_real = [r for r in after_delete["checkin"] if r not in real_before["checkin"]]
    assert len(siti_real) == 1
    assert shares(await real_figures(desk)) == shares(after_end)
    async with desk.sessions.begin() as session:  # every step audited, with who did it
        entries = [e for e in await people_repo.audit_entries(session) if "rehearsal" in e.action]
    assert [e.action for e in entries] == [
        "rehearsal_started",
        "rehearsal_ended",
        "rehearsal_deleted",
    ]
    assert {e.actor_label for e in entries} == {f"telegram:{admin.id}"}


async def test_only_admins_run_rehearsals(sdesk: Desk) -> None:
    desk = sdesk
    coordinator = desk.new_user("Koordinator")
    await desk.member(coordinator, Role.COORDINATOR, CITY)
    await desk.say(coordinator, "/simulasi mulai")
    async with desk.sessions.begin() as session:
        found = await session.execute(select(text("count(*)")).select_from(text("rehearsal")))
        assert found.scalar_one() == 0


async def test_a_critical_incident_in_a_rehearsal_alerts_as_simulasi(sdesk: Desk) -> None:
    desk = sdesk
    await register_group(desk, scope=CITY)
    admin = desk.new_user("Admin")
    await desk.member(admin, Role.ADMIN, CITY)
    officer = desk.new_user("Ketua")
    tps = await tps_in(desk, DISTRICT)
    await desk.member(officer, Role.TPS, tps[0])
    await desk.say(admin, "/simulasi mulai")

    await desk.say(officer, "KEJADIAN KEAMANAN KRITIS massa merusak kotak suara")
    await desk.api.wait_for("sendMessage", chat_id=GROUP, timeout=10)
    await desk.settle()
    (alert,) = desk.api.messages_to(GROUP)
    assert alert["text"].startswith("🧪 SIMULASI") and "merusak kotak suara" in alert["text"]
    async with desk.sessions.begin() as session:
        keys = (await session.execute(text("SELECT key FROM slot"))).scalars().all()
        counted = await session.execute(text("SELECT count(*) FROM checkin_count WHERE n > 0"))
        assert counted.scalar_one() == 0  # the trigger-kept counter saw nothing
    assert [k.split(":")[:2] for k in keys] == [["sim1", "alert"]]
    assert (await real_figures(desk)).total.open_incidents == 0


async def test_a_broadcast_and_its_reads_during_a_rehearsal_go_with_it(sdesk: Desk) -> None:
    desk = sdesk
    admin = desk.new_user("Admin")
    await desk.member(admin, Role.ADMIN, CITY)
    tps = await tps_in(desk, DISTRICT)
    siti, budi = desk.new_user("Siti"), desk.new_user("Budi")
    await desk.member(siti, Role.TPS, tps[0])
    await desk.member(budi, Role.TPS, tps[1])
    real_bid, summary = await compose(desk, admin, "Rapat jam 16.00", "role", ":tps")
    await send_now(desk, admin, summary, real_bid)
    await wait_done(desk, real_bid)
    await desk.press(siti, desk.api.last_message(siti.id) or {}, f"ack:{real_bid}")
    await file(desk, tps[:3], "logistik")
    real_before = await dump(desk)

    assert not any("dihitung latihan" in t for t in desk.texts_to(admin.id))
    await desk.say(admin, "/simulasi mulai")
    bid, summary = await compose(desk, admin, "Latihan: kirim SIAP", "role", ":tps")
    # The admin is told while composing that this broadcast is practice.
    assert any(t.startswith("🧪 SIMULASI sedang berjalan") for t in desk.texts_to(admin.id))
    await send_now(desk, admin, summary, bid)
    await wait_done(desk, bid)
    await desk.press(budi, desk.api.last_message(budi.id) or {}, f"ack:{bid}")
    async with desk.sessions.begin() as session:
        marks = dict((await session.execute(text("SELECT id, rehearsal_id FROM broadcast"))).all())
        acked = await session.execute(
            text("SELECT count(*) FROM broadcast_delivery WHERE acked_at IS NOT NULL")
        )
        assert acked.scalar_one() == 2
    assert marks == {real_bid: None, bid: 1}
    await desk.say(admin, "/simulasi selesai")
    await desk.say(admin, "/simulasi hapus")
    await desk.press(admin, desk.api.last_message(admin.id), "sim:del:1")
    assert "Data sebenarnya tidak berubah" in desk.last_text(admin.id)
    after = await dump(desk)
    assert real_rows(after, set()) == real_rows(real_before, set())
    await desk.say(admin, f"/siaran_status {real_bid}")
    assert "sudah dibaca 1 · belum 1" in desk.last_text(admin.id)
