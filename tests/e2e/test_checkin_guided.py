"""Guided check-ins: one message edited step by step, a summary, then the receipt."""

from __future__ import annotations

from domain.roles import Role
from tests.e2e.checkins_helpers import conversation, now_ts, stored, tap
from tests.e2e.conftest import TPS, Desk


async def test_an_officer_files_a_flood_with_buttons_in_one_message(desk: Desk) -> None:
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    calls = await desk.say(siti, "/banjir", date=now_ts(desk))
    calls += await tap(desk, siti, "40")
    calls += await tap(desk, siti, "no")  # usable
    calls += await tap(desk, siti, "yes")  # relocate
    calls += await desk.say(siti, "Balai desa Cibeber", date=now_ts(desk))
    calls += await tap(desk, siti, "yes")  # logistics safe
    calls += await tap(desk, siti, "_skip")  # photo
    summary = desk.last_text(siti.id)
    assert "Balai desa Cibeber" in summary and "40 cm" in summary
    calls += await tap(desk, siti, "send")
    print([c.method for c in calls])
    receipt = desk.last_text(siti.id)
    print(receipt)
    rows = await stored(desk)
    assert len(rows) == 1
    assert rows[0].payload["water_cm"] == 40 and rows[0].payload["usable"] is False
    assert await conversation(desk, siti) is None
    assert f"#{rows[0].id}" in receipt
