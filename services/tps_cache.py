"""TPS master data for what the bot shows, kept for a while in each process.

Every guided step shows its TPS ("TPS 003 KALIMAS") and the local time of its province, and read
both from the database on every press: one statement, about 8 % of a step's CPU at the ceiling
(`make bench BENCH_ARGS=ceiling`, py-spy). A TPS's number, village, district and region change
only when an admin imports a new KPU list (`deskbot import-tps`), from another process, so each
process keeps what it read for `SECONDS` and then reads again: after an import, a label shown
during a check-in is at most that old. Only for display: filing reads the TPS in its own
transaction (`storage.checkins.tps_for_filing`), so what is stored never comes from here.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from domain.checkins.records import TpsInfo

SECONDS = 300.0
SIZE = 20_000  # TPS kept at most (least recently used go first): a few MB


class TpsInfoCache:
    """`get(tps_id)` -> `TpsInfo` or None (no such TPS; never kept, so a TPS added by an
    import is found at once). `load` reads one TPS from the database; `clock` is monotonic
    seconds."""

    def __init__(
        self,
        load: Callable[[str], Awaitable[TpsInfo | None]],
        *,
        seconds: float = SECONDS,
        size: int = SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._seconds = seconds
        self._size = size
        self._clock = clock
        self._kept: OrderedDict[str, tuple[float, TpsInfo]] = OrderedDict()

    async def get(self, tps_id: str) -> TpsInfo | None:
        now = self._clock()
        kept = self._kept.get(tps_id)
        if kept is not None and now - kept[0] < self._seconds:
            self._kept.move_to_end(tps_id)
            return kept[1]
        info = await self._load(tps_id)
        if info is None:
            self._kept.pop(tps_id, None)
            return None
        self._kept[tps_id] = (now, info)
        self._kept.move_to_end(tps_id)
        while len(self._kept) > self._size:
            self._kept.popitem(last=False)
        return info

    def __len__(self) -> int:
        return len(self._kept)
