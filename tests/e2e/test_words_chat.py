"""The words in chat: a camat's examples are TPS of their own district, role names typed in
Indonesian, scope refusals in Indonesian only, and a one-line SIAP receipted as said."""

from __future__ import annotations

from domain.roles import Role
from tests.e2e.checkins_helpers import now_ts
from tests.e2e.conftest import DISTRICT, TPS, Desk


async def test_a_camat_is_shown_a_tps_of_their_own_district(desk: Desk) -> None:
    budi = desk.new_user("Budi")
    await desk.member(budi, Role.CAMAT, "367202")
    (answer,) = [c for c in await desk.say(budi, "BANJIR 40") if c.method == "sendMessage"]
    assert "<code>3672021001-001 BANJIR 40</code>" in answer.params["text"]
    await desk.say(budi, "/format")
    shown = desk.last_text(budi.id)
    assert "3672021001-001 BANJIR 40" in shown
    assert "RINGAN, SEDANG, BERAT, DARURAT" in shown and "TIDAK BISA" in shown


async def test_invites_take_indonesian_role_names_and_refuse_in_indonesian(desk: Desk) -> None:
    ani = desk.new_user("Ani")
    await desk.member(ani, Role.ADMIN, "36")
    await desk.say(ani, "/undang koordinator 3672")
    assert "https://t.me/" in desk.last_text(ani.id)
    assert "Koordinator" in desk.last_text(ani.id)
    await desk.say(ani, "/undang tps 3672")
    refusal = desk.last_text(ani.id)
    assert (
        refusal == "Kode '3672' adalah kabupaten/kota, sedangkan Petugas TPS memerlukan kode TPS."
    )
    await desk.say(ani, f"/undang camat {DISTRICT}")
    assert "Camat" in desk.last_text(ani.id)


async def test_a_one_line_siap_without_akses_says_nothing_about_access(desk: Desk) -> None:
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    await desk.say(siti, "SIAP 06:30 7", date=now_ts(desk))
    receipt = desk.last_text(siti.id)
    assert "Jumlah petugas hadir: 7" in receipt
    assert "disabilitas" not in receipt
    await desk.say(siti, "SIAP 06:30 7 AKSES TIDAK", date=now_ts(desk))
    receipt = desk.last_text(siti.id)
    assert "Bisa diakses penyandang disabilitas: Tidak" in receipt
    assert "Perbaikan ke-1" in receipt  # a correction, not "Versi 2"
    await desk.say(siti, "/riwayat")
    history = desk.last_text(siti.id)
    assert "(perbaikan ke-1)" in history and " v1 " not in history and " v2 " not in history
