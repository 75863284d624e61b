"""TPS master data kept for display (`services.tps_cache`): read once a while, never kept
when missing, the least recently used dropped first."""

from __future__ import annotations

from domain.checkins.records import TpsInfo
from services.tps_cache import TpsInfoCache


def _tps(tps_id: str, village: str = "KALIMAS") -> TpsInfo:
    return TpsInfo(tps_id, int(tps_id[-3:]), village, "CIBEBER", "367201", "3672", "36")


class _Db:
    """The database as the cache sees it: TPS by id, and every read counted."""

    def __init__(self, *rows: TpsInfo) -> None:
        self.rows = {row.id: row for row in rows}
        self.reads: list[str] = []

    async def load(self, tps_id: str) -> TpsInfo | None:
        self.reads.append(tps_id)
        return self.rows.get(tps_id)


async def test_a_tps_is_read_once_a_while_and_again_after() -> None:
    now = [0.0]
    db = _Db(_tps("3672011001-003"))
    cache = TpsInfoCache(db.load, seconds=300, clock=lambda: now[0])
    first = await cache.get("3672011001-003")
    now[0] = 299.0
    assert await cache.get("3672011001-003") == first
    assert db.reads == ["3672011001-003"]  # one statement for a whole check-in's steps
    db.rows["3672011001-003"] = _tps("3672011001-003", village="KALIMAS BARU")  # an import
    now[0] = 300.0
    again = await cache.get("3672011001-003")
    assert again is not None and again.label == "TPS 003 KALIMAS BARU"
    assert len(db.reads) == 2


async def test_a_missing_tps_is_never_kept() -> None:
    db = _Db()
    cache = TpsInfoCache(db.load)
    assert await cache.get("3672011001-009") is None
    db.rows["3672011001-009"] = _tps("3672011001-009")  # a new list adds it
    assert await cache.get("3672011001-009") == db.rows["3672011001-009"]
    assert len(cache) == 1


async def test_the_least_recently_used_go_first() -> None:
    db = _Db(*(_tps(f"3672011001-00{n}") for n in range(1, 5)))
    cache = TpsInfoCache(db.load, size=2)
    await cache.get("3672011001-001")
    await cache.get("3672011001-002")
    await cache.get("3672011001-001")  # used again: 002 is now the oldest
    await cache.get("3672011001-003")
    assert len(cache) == 2
    db.reads.clear()
    await cache.get("3672011001-001")
    await cache.get("3672011001-003")
    assert db.reads == []  # both kept
    await cache.get("3672011001-002")
    assert db.reads == ["3672011001-002"]  # dropped, read again
