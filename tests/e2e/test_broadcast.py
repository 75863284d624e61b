"""Broadcast from the desk's side: compose, preview, confirm, acknowledge, report, resend."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from domain.roles import Role
from storage import people
from storage.models import AuditLog, Broadcast, BroadcastDelivery, Checkin
from tests.e2e.broadcasting import (
    buttons,
    compose,
    deliveries_of,
    send_now,
    wait_done,
)
from tests.e2e.conftest import CITY, DISTRICT, OTHER_DISTRICT_TPS, VILLAGE, Desk, restart
from tests.fakebot import FakeUser


async def _team(desk: Desk) -> tuple[FakeUser, list[FakeUser], FakeUser]:
    """An admin for the city, three officers in Cibeber and one elsewhere, and a camat."""
    admin = desk.new_user("Admin Desk")
    await desk.member(admin, Role.ADMIN, CITY)
    officers = [desk.new_user(f"KPPS {n}") for n in range(3)]
    for n, officer in enumerate(officers[:2]):
        await desk.member(officer, Role.TPS, f"{VILLAGE}-{n + 1:03d}")
    await desk.member(officers[2], Role.TPS, OTHER_DISTRICT_TPS)
    camat = desk.new_user("Pak Camat")
    await desk.member(camat, Role.CAMAT, DISTRICT)
    return admin, officers, camat


async def test_nothing_is_sent_before_confirmation_then_everyone_once(desk: Desk) -> None:
    admin, officers, camat = await _team(desk)
    await desk.say(admin, "/siaran")
    assert "Tulis instruksinya" in desk.last_text(admin.id)
    await desk.say(admin, "<b>Rapat</b> jam 16.00 di <script>kantor</script> & aula")
    messages = desk.api.messages_to(admin.id)
    preview, picker = messages[-2], messages[-1]
    assert preview["text"] == "Rapat jam 16.00 di <script>kantor</script> & aula"
    assert preview["entities"][0]["type"] == "bold"
    assert "Pratinjau" in picker["text"] and "kirim ke siapa" in picker["text"]
    bid = int(buttons(picker)[0].split(":")[2])
    await desk.press(admin, picker, f"bc:a:{bid}:all")
    summary = desk.api.last_message(admin.id)
    assert summary is not None
    assert "Jumlah: 4 orang" in summary["text"]  # three officers and the camat; not the sender
    for person in [*officers, camat]:
        assert desk.api.messages_to(person.id) == []
    async with desk.sessions.begin() as session:
        assert (await session.execute(select(BroadcastDelivery))).first() is None
        assert await people.audit_entries(session, action="broadcast_confirmed") == []

    await send_now(desk, admin, summary, bid)
    final = await wait_done(desk, bid)
    assert "Terkirim: 4 dari 4" in final
    assert deliveries_of(desk, bid) == {p.id: 1 for p in [*officers, camat]}
    got = desk.api.last_message(officers[0].id)
    assert got is not None and got["text"].startswith("Rapat jam 16.00")
    assert buttons(got) == [f"ack:{bid}"]
    assert desk.api.messages_to(admin.id)[-1]["message_id"] == summary["message_id"]
    async with desk.sessions.begin() as session:
        (entry,) = await people.audit_entries(session, action="broadcast_confirmed")
    assert entry.detail["recipients"] == 4 and entry.detail["audience"] == {
        "kind": "all",
        "value": "",
    }
    await desk.press(admin, summary, f"bc:ok:{bid}")  # pressing send again queues nothing
    assert deliveries_of(desk, bid, ok_only=False) == {p.id: 1 for p in [*officers, camat]}


async def test_audience_by_role_region_and_missing_check_in(desk: Desk) -> None:
    admin, _officers, _camat = await _team(desk)
    _, summary = await compose(desk, admin, "Untuk camat", "role", ":camat")
    assert "Camat di KOTA CILEGON" in summary["text"] and "Jumlah: 1 orang" in summary["text"]
    bid, summary = await compose(desk, admin, "Untuk Cibeber", "region")
    await desk.press(admin, summary, f"bc:g:{bid}:0:{DISTRICT}")
    region_menu = desk.api.last_message(admin.id)
    assert region_menu is not None and f"bc:p:{bid}:{DISTRICT}" in buttons(region_menu)
    await desk.press(admin, region_menu, f"bc:p:{bid}:{DISTRICT}")
    assert "Jumlah: 3 orang" in desk.last_text(admin.id)  # two officers and the camat

    bid, summary = await compose(desk, admin, "Desa saja", "region")
    await desk.say(admin, VILLAGE)  # a typed region code works too
    assert "Jumlah: 2 orang" in desk.last_text(admin.id)

    async with desk.sessions.begin() as session:
        session.add(_checkin(f"{VILLAGE}-001", "logistik"))
    _, summary = await compose(desk, admin, "Segera lapor logistik", "nf", ":logistik")
    assert "belum melapor logistik" in summary["text"]
    assert "Jumlah: 2 orang" in summary["text"]  # officers 2 and 3; officer 1 has filed


def _checkin(tps: str, kind: str) -> Checkin:
    now = datetime(2024, 2, 13, 1, 0, tzinfo=UTC)
    return Checkin(
        tps_id=tps,
        kind=kind,
        version=1,
        is_current=True,
        district_code=tps[:6],
        regency_code=tps[:4],
        province_code=tps[:2],
        severity="ok",
        payload={},
        source="guided",
        sent_at=now,
        received_at=now,
        dedupe_key=f"{tps}:{kind}",
    )


async def test_too_long_is_refused_clearly_and_cancel_sends_nothing(desk: Desk) -> None:
    admin, officers, _ = await _team(desk)
    await desk.say(admin, "/siaran")
    await desk.say(admin, "x" * 4100)
    assert "Terlalu panjang: 4100 huruf, batasnya 4096" in desk.last_text(admin.id)
    await desk.say(admin, "/batal")
    assert "dibatalkan" in desk.last_text(admin.id)
    await desk.say(admin, "halo")  # no longer taken as a broadcast text
    assert "tidak mengerti" in desk.last_text(admin.id)
    assert all(desk.api.messages_to(o.id) == [] for o in officers)


async def test_a_photo_goes_out_with_its_caption(desk: Desk) -> None:
    admin, officers, _ = await _team(desk)
    await desk.say(admin, "/siaran")
    admin.send_photo(caption="Denah <i>TPS</i> baru")
    await desk.settle()
    bid, summary = await compose_rest(desk, admin)
    await send_now(desk, admin, summary, bid)
    await wait_done(desk, bid)
    photos = [f for f in desk.api.sent_files if f.method.lower() == "sendphoto"]
    assert {f.chat_id for f in photos} >= {o.id for o in officers}
    assert len({f.given for f in photos}) == 1
    got = desk.api.last_message(officers[0].id)
    assert got is not None and got["caption"] == "Denah TPS baru"


async def compose_rest(desk: Desk, admin: FakeUser) -> tuple[int, dict[str, object]]:
    picker = desk.api.last_message(admin.id)
    assert picker is not None
    bid = int(buttons(picker)[0].split(":")[2])
    await desk.press(admin, picker, f"bc:a:{bid}:all")
    summary = desk.api.last_message(admin.id)
    assert summary is not None
    return bid, summary


async def test_coordinator_reaches_only_their_district(desk: Desk) -> None:
    _, _officers, _ = await _team(desk)
    coordinator = desk.new_user("Koordinator")
    await desk.member(coordinator, Role.COORDINATOR, DISTRICT)
    bid, summary = await compose(desk, coordinator, "Cibeber saja", "all")
    assert "Jumlah: 3 orang" in summary["text"]
    bid, _ = await compose(desk, coordinator, "Di luar", "region")
    await desk.say(coordinator, OTHER_DISTRICT_TPS[:6])
    assert "di luar wilayah Anda" in desk.last_text(coordinator.id)
    menu = desk.api.last_message(coordinator.id)
    assert menu is not None
    await desk.press(coordinator, menu, f"bc:p:{bid}:{OTHER_DISTRICT_TPS[:6]}")  # forged
    async with desk.sessions.begin() as session:
        b = await session.get(Broadcast, bid)
    assert b is not None and b.audience is None


async def test_forged_presses_from_someone_else_do_nothing(desk: Desk) -> None:
    admin, _officers, camat = await _team(desk)
    other_admin = desk.new_user("Admin Lain")
    await desk.member(other_admin, Role.ADMIN, CITY)
    bid, summary = await compose(desk, admin, "Milik admin", "all")
    hook = other_admin.send_text("x")["message"]
    await desk.settle()
    await desk.press(other_admin, hook, f"bc:ok:{bid}")
    await desk.press(camat, camat.send_text("y")["message"], f"bc:ok:{bid}")
    await desk.settle()
    async with desk.sessions.begin() as session:
        b = await session.get(Broadcast, bid)
        assert b is not None and b.status == "draft"
    await send_now(desk, admin, summary, bid)
    await wait_done(desk, bid)
    stranger = desk.new_user("Orang Lain")
    await desk.press(stranger, stranger.send_text("z")["message"], f"ack:{bid}")
    await desk.press(admin, summary, f"ack:{bid}")  # the sender is not a recipient either
    async with desk.sessions.begin() as session:
        acked = (
            await session.execute(
                select(BroadcastDelivery).where(BroadcastDelivery.acked_at.is_not(None))
            )
        ).all()
    assert acked == []


async def test_acknowledgements_report_and_resend_to_the_rest(desk: Desk) -> None:
    admin, officers, camat = await _team(desk)
    bid, summary = await compose(desk, admin, "Harap dibaca", "role", ":tps")
    await send_now(desk, admin, summary, bid)
    await wait_done(desk, bid)
    received = desk.api.last_message(officers[0].id)
    assert received is not None
    await desk.press(officers[0], received, f"ack:{bid}")
    assert buttons(desk.api.last_message(officers[0].id) or {}) == [f"ack:{bid}"]
    assert "Tercatat" in str(desk.api.last_message(officers[0].id))
    calls = await desk.press(officers[0], received, f"ack:{bid}")
    assert any("Sudah dicatat sebelumnya" in str(c.params) for c in calls)

    await desk.say(admin, f"/siaran_status {bid}")
    report = desk.api.last_message(admin.id)
    assert report is not None
    assert "sudah dibaca 1 · belum 2" in report["text"]
    assert "CIBEBER: 1 dari 2 sudah membaca" in report["text"]
    # when it was made, in the desk's zone (Banten: WIB), never UTC
    assert re.search(rf"Siaran #{bid}\S* \(\d\d/\d\d \d\d:\d\d WIB\)", report["text"])
    assert "UTC" not in report["text"]
    assert f"bc:rs:{bid}" in buttons(report)
    await desk.press(admin, report, f"bc:rs:{bid}")
    summary = desk.api.last_message(admin.id)
    assert summary is not None and "Jumlah: 2 orang" in summary["text"]
    resend = int(buttons(summary)[0].split(":")[2])
    await send_now(desk, admin, summary, resend)
    await wait_done(desk, resend)
    assert deliveries_of(desk, resend) == {officers[1].id: 1, officers[2].id: 1}
    assert camat.id not in deliveries_of(desk, bid)


async def test_a_half_written_draft_survives_a_restart(desk: Desk) -> None:
    admin, _officers, _ = await _team(desk)
    await desk.say(admin, "/siaran")
    await restart(desk)
    await desk.say(admin, "Setelah restart")
    _bid, summary = await compose_rest(desk, admin)
    assert "Jumlah: 4 orang" in summary["text"]


async def test_blocked_people_are_unreachable_until_they_come_back(desk: Desk) -> None:
    admin, officers, _camat = await _team(desk)
    desk.api.block(officers[1].id)
    bid, summary = await compose(desk, admin, "Cek", "all")
    await send_now(desk, admin, summary, bid)
    final = await wait_done(desk, bid)
    assert "Memblokir bot / tidak terjangkau: 1" in final and "Terkirim: 3 dari 4" in final
    async with desk.sessions.begin() as session:
        gone = await people.member_by_telegram_id(session, officers[1].id)
    assert gone is not None and not gone.reachable
    desk.api.unblock(officers[1].id)
    await desk.say(officers[1], "/bantuan")
    async with desk.sessions.begin() as session:
        back = await people.member_by_telegram_id(session, officers[1].id)
    assert back is not None and back.reachable


async def test_failures_are_retried_only_when_nothing_can_have_arrived(desk: Desk) -> None:
    admin, officers, camat = await _team(desk)
    bid, summary = await compose(desk, admin, "Uji jaringan", "all")
    desk.api.fail_next("sendMessage", count=1, status=502)  # answered: certainly not sent
    await send_now(desk, admin, summary, bid)
    final = await wait_done(desk, bid)
    assert "Terkirim: 4 dari 4" in final
    assert deliveries_of(desk, bid) == {p.id: 1 for p in [*officers, camat]}

    bid, summary = await compose(desk, admin, "Uji putus", "all")
    desk.api.fail_next("sendMessage", count=1, status="network", execute=True)
    await send_now(desk, admin, summary, bid)
    final = await wait_done(desk, bid)
    assert "Tidak pasti (terputus saat dikirim; tidak dikirim ulang): 1" in final
    # the dropped one did arrive, and was not sent again
    assert deliveries_of(desk, bid, ok_only=False) == {p.id: 1 for p in [*officers, camat]}
    async with desk.sessions.begin() as session:
        statuses = (
            await session.execute(
                select(BroadcastDelivery.status).where(BroadcastDelivery.broadcast_id == bid)
            )
        ).scalars()
        assert sorted(statuses) == ["sent", "sent", "sent", "uncertain"]
        assert (await session.execute(select(AuditLog))).first() is not None
