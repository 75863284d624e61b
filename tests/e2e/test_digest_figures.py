"""The digest in the desk group checked against the stored check-ins; coordinator commands;
alerts."""

from __future__ import annotations

import io
import re
from collections import Counter

from openpyxl import load_workbook

from domain.roles import Role
from reminders.alerts import alert_checkin
from storage import people, regions
from tests.e2e.conftest import CITY, DISTRICT, OTHER_DISTRICT_TPS, Desk
from tests.e2e.digest_support import (
    GROUP,
    file,
    register_group,
    run_tick,
    sdesk,
    stored,
    tps_in,
)
from views.texts import text

__all__ = ["sdesk"]


def _sheets(data: bytes) -> dict[str, list[tuple[object, ...]]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def pct(filed: int, tps: int) -> int:
    return 100 * filed // tps


async def _seed(desk: Desk) -> list[str]:
    tps = await tps_in(desk, CITY)
    await file(desk, tps[::2], "logistik")
    await file(desk, tps[::10], "logistik", severity="warn", payload={"short": "tinta"})
    await file(desk, tps[1::3], "siap")
    await file(desk, tps[::4], "banjir", payload={"water_cm": 0, "usable": True})
    await file(
        desk, tps[5:40:7], "banjir", severity="warn", payload={"water_cm": 30, "usable": True}
    )
    await file(
        desk, tps[100:103], "banjir", severity="severe", payload={"water_cm": 110, "usable": False}
    )
    await file(desk, tps[::5], "sinyal", payload={"level": "good"})
    await file(desk, tps[200:260:3], "sinyal", severity="severe", payload={"level": "none"})
    await file(
        desk,
        tps[300:305],
        "kejadian",
        severity="warn",
        payload={"resolved": False, "severity": "low"},
    )
    await file(
        desk,
        tps[305:307],
        "kejadian",
        severity="warn",
        payload={"resolved": True, "severity": "low"},
    )
    return tps


async def test_the_digest_matches_the_stored_checkins(sdesk: Desk) -> None:
    desk = sdesk
    await register_group(desk)
    tps = await _seed(desk)
    desk.clock.advance(hours=1)  # 09:00 WIB on H-1
    await run_tick(desk)
    texts = [m["text"] for m in desk.api.messages_to(GROUP) if "text" in m]
    body = "\n".join(texts)
    data = await stored(desk)
    total = len(tps)
    assert f"13/02 09:00 WIB · {total:,} TPS".replace(",", ".") in body
    for kind, label in (
        ("logistik", "Logistik"),
        ("siap", "TPS siap"),
        ("banjir", "Banjir"),
        ("sinyal", "Sinyal"),
    ):
        n = data.filed(kind)
        assert f"• {label}: {n:,}/{total:,} ({pct(n, total)}%)".replace(",", ".") in body, kind
    floods = [r for r in data.rows if r[1] == "banjir" and r[2] != "ok"]
    severe = sorted(r[0] for r in floods if r[2] in ("severe", "critical"))
    blank = sum(1 for r in data.rows if r[1] == "sinyal" and r[3]["level"] == "none")
    open_incidents = sum(1 for r in data.rows if r[1] == "kejadian" and not r[3]["resolved"])
    assert (
        f"Banjir: {len(floods)} TPS, {len(severe)} parah · 📵 Blank spot: {blank} TPS · "
        f"⚠️ Kejadian terbuka: {open_incidents}"
    ) in body
    for tps_id in severe:
        assert f"• {tps_id} ({data.villages[tps_id]})" in body
    per_district = Counter(t[:6] for t in tps)
    async with desk.sessions.begin() as session:
        names = {c: (await regions.region(session, c)).name for c in per_district}  # type: ignore[union-attr]
    for district, count in per_district.items():
        shares = [
            pct(data.filed(k, district), count) for k in ("logistik", "siap", "banjir", "sinyal")
        ]
        tps_count = f"{count:,}".replace(",", ".")  # Indonesian thousands separator only
        pattern = (
            f"{names[district]} · {tps_count} TPS: logistik {shares[0]}%, siap {shares[1]}%, "
            f"banjir {shares[2]}%, sinyal {shares[3]}%"
        )
        assert pattern in body, district
    # the attachments: a chart picture and the spreadsheet: the check-in export of the
    # digest's scope, one sheet per kind, the same workbook /ekspor sends
    files = [f for f in desk.api.sent_files if f.chat_id == GROUP]
    assert [f.method.lower() for f in files] == ["sendphoto", "senddocument"]
    assert files[0].file.data is not None and files[0].file.data[:4] == b"\x89PNG"
    assert files[1].file.data is not None
    sheets = _sheets(files[1].file.data)
    assert list(sheets) == ["Logistik", "TPS siap", "Banjir", "Sinyal", "Kejadian"]
    header, *rows = sheets["Logistik"]
    assert header[:3] == ("Nomor laporan", "ID TPS", "Kode kecamatan")
    assert "Diterima" in header and "Zona waktu" in header
    for district in per_district:
        assert sum(1 for r in rows if r[2] == district) == data.filed("logistik", district)
    for kind, name in zip(
        ("logistik", "siap", "banjir", "sinyal", "kejadian"), sheets, strict=True
    ):
        assert len(sheets[name]) - 1 == data.filed(kind), kind
    coordinator = desk.new_user("Koor")
    await desk.member(coordinator, Role.COORDINATOR, CITY)
    await desk.say(coordinator, f"/ekspor {CITY}")
    assert _sheets(desk.api.sent_files[-1].file.data or b"") == sheets

    # the next digest shows what was filed in between
    await file(desk, [t for t in tps[1::2]][:25], "logistik")
    desk.clock.advance(hours=3)  # 12:00 WIB
    await run_tick(desk)
    latest = [
        m["text"] for m in desk.api.messages_to(GROUP) if "text" in m and "12:00 WIB" in m["text"]
    ]
    assert latest and f"({pct(data.filed('logistik') + 25, total)}%) ▲25" in latest[0]
    assert "▲ = tambahan sejak rekap 13/02 09:00" in latest[0]


def _numbers(found: str) -> int:
    return int(found.replace(".", ""))


def _digest_kinds(body: str) -> dict[str, tuple[int, int, int]]:
    """Per kind name in a digest: (filed, TPS, percent)."""
    found = re.findall(r"• ([\w ]+): ([\d.]+)/([\d.]+) \((\d+)%\)", body)
    return {k: (_numbers(f), _numbers(t), int(p)) for k, f, t, p in found}


def _status_kinds(body: str) -> tuple[int, dict[str, tuple[int, int, int]]]:
    """A region's /status: its TPS, and per kind name (filed, percent, with a problem)."""
    (total,) = re.findall(r": ([\d.]+) TPS$", body.splitlines()[0])
    found = re.findall(
        r"^([\w ]+): ([\d.]+) TPS melapor \((\d+)%\), ([\d.]+) bermasalah", body, re.M
    )
    return _numbers(total), {k: (_numbers(f), int(p), _numbers(n)) for k, f, p, n in found}


async def test_status_shows_the_digests_figures(sdesk: Desk) -> None:
    """/status of a region counts as the digest does: the same TPS, filed and percent (one
    source, `storage.digest`), for the digest's own scope and for a district in it."""
    desk = sdesk
    await register_group(desk)
    await _seed(desk)
    coordinator = desk.new_user("Koor")
    await desk.member(coordinator, Role.COORDINATOR, CITY)
    desk.clock.advance(hours=1)
    await run_tick(desk)
    digest = _digest_kinds("\n".join(desk.texts_to(GROUP)))
    data = await stored(desk)
    labels = {"logistik": "Logistik", "siap": "TPS siap", "banjir": "Banjir", "sinyal": "Sinyal"}
    for scope in (CITY, DISTRICT):
        if scope != CITY:
            await desk.say(coordinator, f"/rekap {scope}")
            digest = _digest_kinds("\n".join(desk.texts_to(coordinator.id)[-4:]))
        await desk.say(coordinator, f"/status {scope}")
        total, status = _status_kinds(desk.last_text(coordinator.id))
        assert total == len(await tps_in(desk, scope)), scope
        for kind, label in labels.items():
            filed, tps, share = digest[label]
            assert (tps, filed) == (total, data.filed(kind, scope)), (scope, kind)
            problems = sum(
                1 for t, k, s, _ in data.rows if k == kind and t.startswith(scope) and s != "ok"
            )
            assert status[label] == (filed, share, problems), (scope, kind)
        incidents = sum(1 for t, k, _, _ in data.rows if k == "kejadian" and t.startswith(scope))
        assert status["Kejadian"][0] == incidents, scope


async def test_coordinator_commands_stay_inside_their_scope(sdesk: Desk) -> None:
    desk = sdesk
    tps = await _seed(desk)
    coordinator, outsider, camat = (
        desk.new_user("Koor"),
        desk.new_user("Koor Serang"),
        desk.new_user("Camat"),
    )
    await desk.member(coordinator, Role.COORDINATOR, CITY)
    await desk.member(outsider, Role.COORDINATOR, "3604")
    await desk.member(camat, Role.CAMAT, DISTRICT)

    await desk.say(coordinator, "/rekap")
    texts = desk.texts_to(coordinator.id)
    assert "Rekap Desk Pemilu — KOTA CILEGON" in texts[0] and "(diminta" in texts[0]
    assert desk.api.sent_files[-1].method.lower() == "sendphoto"
    await desk.say(outsider, "/rekap 3672")
    assert "di luar wilayah Anda" in desk.last_text(outsider.id)
    await desk.say(camat, f"/rekap {OTHER_DISTRICT_TPS[:6]}")
    assert "di luar wilayah Anda" in desk.last_text(camat.id)
    await desk.say(camat, "/rekap")
    assert any("Rekap Desk Pemilu — CIBEBER" in t for t in desk.texts_to(camat.id))

    await desk.say(coordinator, f"/belum siap {DISTRICT}")
    data = await stored(desk)
    district = [t for t in tps if t.startswith(DISTRICT)]
    missing = [t for t in district if not any(r[0] == t and r[1] == "siap" for r in data.rows)]
    first_page = desk.api.last_message(coordinator.id)
    assert first_page is not None
    assert f"{len(missing)} TPS (halaman 1/{(len(missing) + 39) // 40})" in first_page["text"]
    buttons = desk.last_buttons(coordinator.id)
    assert buttons == [("Berikutnya ▶", f"blm:siap:{DISTRICT}:1")]
    await desk.press(coordinator, first_page, f"blm:siap:{DISTRICT}:1")
    assert "(halaman 2/" in desk.last_text(coordinator.id)
    await desk.press(outsider, first_page, f"blm:siap:{DISTRICT}:0")  # forged: not theirs
    assert list(desk.api.callback_answers.values())[-1].get("text") == text(
        "id", "common.stale_button"
    )
    assert "(halaman 2/" in desk.last_text(coordinator.id)  # the page was not touched
    await desk.say(outsider, "/belum siap")
    assert "Kode wilayah '3604' tidak dikenal" in desk.last_text(outsider.id)  # nothing imported

    await desk.say(camat, f"/tps {tps[0]}")
    history = desk.last_text(camat.id)
    # the same view as /riwayat: newest first, corrections named, no raw severity
    assert "Riwayat TPS" in history and history.count("Logistik") == 2
    assert "Logistik (perbaikan ke-1)" in history and "[" not in history
    await desk.say(camat, f"/tps {OTHER_DISTRICT_TPS}")
    assert "di luar wilayah Anda" in desk.last_text(camat.id)

    mark = desk.api.mark()
    await desk.say(coordinator, "/ekspor")
    assert [c.method.lower() for c in desk.calls_after(mark)] == ["senddocument"]
    book = load_workbook(io.BytesIO(desk.api.sent_files[-1].file.data or b""), read_only=True)
    assert len(list(book["Logistik"].iter_rows())) - 1 == data.filed("logistik")
    await desk.say(outsider, "/ekspor 3672")
    assert "di luar wilayah Anda" in desk.last_text(outsider.id)


async def test_admins_change_the_schedule_in_chat_and_it_is_audited(sdesk: Desk) -> None:
    desk = sdesk
    admin, coordinator = desk.new_user("Admin"), desk.new_user("Koor")
    await desk.member(admin, Role.ADMIN, "36")
    await desk.member(coordinator, Role.COORDINATOR, CITY)
    await desk.say(admin, "/tenggat siap H 08:00")
    assert "Tersimpan. siap: H 08:00" in desk.last_text(admin.id)
    await desk.say(admin, "/pengingat siap 45,15")
    await desk.say(admin, "/tenggat sinyal 2024-02-13 20:00")
    await desk.say(admin, "/tenggat banjir kemarin")
    assert "Tidak bisa dipakai" in desk.last_text(admin.id)
    await desk.say(coordinator, "/tenggat siap H 09:00")
    assert "Hanya admin" in desk.last_text(coordinator.id)
    await desk.say(coordinator, "/tenggat")
    shown = desk.last_text(coordinator.id)
    assert "TPS siap: H 08:00 → 14/02 08:00 WIB; pengingat 45m, 15m" in shown
    assert "Sinyal: 2024-02-13 20:00 → 13/02 20:00 WIB" in shown
    assert "Berikutnya: rekap pada 13/02 09:00 WIB" in shown
    async with desk.sessions.begin() as session:
        audits = await people.audit_entries(session, action="schedule_changed")
    assert [a.detail["change"] for a in audits] == [
        "siap: H 08:00",
        "siap: 45m, 15m",
        "sinyal: 2024-02-13 20:00",
    ]


async def test_a_critical_incident_goes_to_the_desk_group_once(sdesk: Desk) -> None:
    desk = sdesk
    await register_group(desk)
    tps = await tps_in(desk, DISTRICT)
    (quiet,) = await file(
        desk, [tps[0]], "kejadian", severity="warn", payload={"resolved": False, "severity": "low"}
    )
    (critical,) = await file(
        desk,
        [tps[1]],
        "kejadian",
        severity="critical",
        payload={"resolved": False, "severity": "critical", "text": "Kotak suara <dibakar>"},
    )
    (flood,) = await file(
        desk, [tps[2]], "banjir", severity="severe", payload={"water_cm": 120, "usable": False}
    )
    services = desk.running.services
    assert await alert_checkin(desk.running.app, services, quiet) is False
    assert await alert_checkin(desk.running.app, services, critical) is True
    assert await alert_checkin(desk.running.app.bot, services, critical) is False
    assert await alert_checkin(desk.running.app, services, flood) is True
    await desk.settle()
    texts = desk.texts_to(GROUP)
    assert len(texts) == 2
    # the severity and category in words (no raw `critical`), the TPS named with its id
    assert "Kejadian Darurat: Lainnya di TPS 002" in texts[0] and "critical" not in texts[0]
    assert f"({tps[1]})" in texts[0]
    assert "Kotak suara <dibakar>" in texts[0]
    assert "Banjir parah" in texts[1] and "air 120 cm, TPS tidak bisa dipakai" in texts[1]
