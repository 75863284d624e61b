"""The check-in counter of /metrics counts where a check-in is stored: each new check-in once,
nothing for a line that was refused."""

from __future__ import annotations

from domain.roles import Role
from storage.counters import CHECKINS
from tests.e2e.checkins_helpers import now_ts, stored
from tests.e2e.conftest import TPS, Desk


async def test_each_stored_checkin_counts_once_and_refused_lines_not_at_all(desk: Desk) -> None:
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    before = CHECKINS._value.get()
    await desk.say(siti, "SIAP 06:30 7", date=now_ts(desk))
    assert CHECKINS._value.get() == before + 1
    await desk.say(siti, "SIAP 06:45 6", date=now_ts(desk))  # a correction: a new version
    assert CHECKINS._value.get() == before + 2
    await desk.say(siti, "SIAP 25:00 7", date=now_ts(desk))  # refused: nothing stored
    assert CHECKINS._value.get() == before + 2
    assert len(await stored(desk, kind="siap")) == 2
