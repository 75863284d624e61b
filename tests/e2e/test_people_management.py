"""People leave: a coordinator sees who is registered, revokes a lost phone, hands a TPS to a
new officer; the old account loses access at once and what it filed stays its own."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from domain.roles import Role
from storage import people
from storage.models import Checkin, Person
from tests.e2e.checkins_helpers import now_ts
from tests.e2e.conftest import DISTRICT, OTHER_DISTRICT_TPS, TPS, Desk


async def test_a_coordinator_lists_revokes_and_hands_over_within_their_region(
    desk: Desk,
) -> None:
    rina = desk.new_user("Rina")
    await desk.member(rina, Role.COORDINATOR, "3672")
    siti = desk.new_user("Siti")
    officer = await desk.member(siti, Role.TPS, TPS)
    budi = desk.new_user("Budi")
    camat = await desk.member(budi, Role.CAMAT, DISTRICT)
    await desk.say(siti, "SIAP 06:30 7", date=now_ts(desk))

    await desk.say(rina, f"/orang {DISTRICT}")
    listing = desk.last_text(rina.id)
    assert f"#{officer.id} Siti · Petugas TPS · {TPS}" in listing
    assert f"#{camat.id} Budi · Camat · {DISTRICT}" in listing
    assert "Rina" not in listing  # the coordinator's own scope is wider than the district

    await desk.say(rina, f"/serahkan {TPS}")
    answer = desk.last_text(rina.id)
    assert "Akses dicabut: Siti" in answer
    link = re.search(r"https://t\.me/\S+\?start=(\S+)", answer)
    assert link is not None
    await desk.say(siti, "SIAP 06:45 7")  # the old account: no access from now on
    assert "belum terdaftar" in desk.last_text(siti.id)

    yanto = desk.new_user("Yanto")
    await desk.say(yanto, f"/start {link.group(1)}")
    assert "Petugas TPS" in desk.last_text(yanto.id)
    await desk.say(yanto, "SIAP 07:00 6", date=now_ts(desk))
    async with desk.sessions() as session:
        filed = (await session.execute(select(Checkin).order_by(Checkin.id))).scalars().all()
        successor = await people.member_by_telegram_id(session, yanto.id)
        assert successor is not None
        assert [c.filed_by for c in filed] == [officer.id, successor.id]  # Siti's stays hers
        actions = [e.action for e in await people.audit_entries(session)]
    assert "person_revoked" in actions and "tps_handed_over" in actions

    await desk.say(rina, f"/cabut {camat.id}")
    assert "sudah dicabut" in desk.last_text(rina.id)
    await desk.say(budi, "/status")
    assert "belum terdaftar" in desk.last_text(budi.id)
    async with desk.sessions() as session:
        budi_row = (await session.execute(select(Person).where(Person.id == camat.id))).scalar()
    assert budi_row is not None and budi_row.revoked_at is not None


async def test_nobody_manages_people_outside_their_region_or_above_them(desk: Desk) -> None:
    rina = desk.new_user("Rina")
    coordinator = await desk.member(rina, Role.COORDINATOR, DISTRICT)
    outsider = desk.new_user("Oki")
    other = await desk.member(outsider, Role.TPS, OTHER_DISTRICT_TPS)
    boss = desk.new_user("Ani")
    admin = await desk.member(boss, Role.ADMIN, "36")
    await desk.say(rina, f"/orang {OTHER_DISTRICT_TPS}")
    assert "di luar wilayah Anda" in desk.last_text(rina.id)
    await desk.say(rina, f"/cabut {other.id}")
    assert "Tidak ada orang terdaftar dengan nomor" in desk.last_text(rina.id)
    await desk.say(rina, f"/cabut {coordinator.id}")
    assert "sendiri" in desk.last_text(rina.id)
    await desk.say(rina, f"/serahkan {OTHER_DISTRICT_TPS}")
    assert "di luar wilayah Anda" in desk.last_text(rina.id)
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    await desk.say(siti, "/orang")
    assert "tidak tersedia untuk peran Anda" in desk.last_text(siti.id)
    await desk.say(boss, f"/cabut {other.id}")
    assert "sudah dicabut" in desk.last_text(boss.id)
    async with desk.sessions() as session:
        assert await people.member_by_telegram_id(session, outsider.id) is None
        assert await people.member_by_telegram_id(session, boss.id) is not None
    assert admin.role is Role.ADMIN


async def test_dates_are_the_desks_days_not_utcs(desk: Desk) -> None:
    """Between 00:00 and 07:00 WIB the UTC day is the day before: /orang's "since" and the
    expiry of a handover link or of invites are shown in the desk's zone (WIB in Banten)."""
    desk.clock.now = datetime(2024, 2, 13, 18, 30, tzinfo=UTC)  # 14/02 01:30 WIB
    rina = desk.new_user("Rina")
    await desk.member(rina, Role.COORDINATOR, "3672")
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)

    await desk.say(rina, f"/orang {DISTRICT}")
    assert "sejak 14/02/2024" in desk.last_text(rina.id)

    await desk.say(rina, f"/serahkan {TPS}")
    answer = desk.last_text(rina.id)
    assert "berlaku sampai 15/03 01:30 WIB" in answer  # 30 days on, the desk's wall time
    assert "UTC" not in answer and "2024-03-14" not in answer

    await desk.say(rina, f"/undang tps {TPS}")
    assert "berlaku sampai 15/03 01:30 WIB" in desk.last_text(rina.id)
