"""One-line check-ins as the outbox benchmark sends them, and what became of each line.

A line is one officer's message (`SIAP 06:MM 7`), known by its chat and message id, which is
also the check-in's dedupe key (`domain.checkins.records.quick_dedupe_key`). Its receipt is
the accepted `sendMessage` whose text names the check-in (`Laporan #ID`); receipts refused
(429) and tried again are counted once, when Telegram (the fake) accepted them.
"""

from __future__ import annotations

import asyncio
import bisect
import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from domain.checkins.records import quick_dedupe_key
from domain.outbox import OutStatus
from storage.db import create_engine
from storage.models import Checkin, OutboxMessage
from tests.fakebot import FakeBotApi, FakeUser

RECEIPT = re.compile(r"Laporan (?:<b>)?#(\d+)")
GIVEN_UP = (OutStatus.FAILED.value, OutStatus.EXPIRED.value)


@dataclass(frozen=True)
class Line:
    """One line sent by an officer: its chat, message id and wall-clock time of sending."""

    chat_id: int
    message_id: int
    at: float

    @property
    def key(self) -> str:
        return quick_dedupe_key(self.chat_id, self.message_id)


def send_line(user: FakeUser, minute: int) -> Line:
    """The officer sends one `SIAP 06:MM 7` line now."""
    update = user.send_text(f"SIAP 06:{minute % 60:02d} 7")
    return Line(user.id, int(update["message"]["message_id"]), time.time())


async def offer(officers: list[FakeUser], *, rate: float, seconds: float) -> list[Line]:
    """Open loop: line k at start + k / rate, officers in turn (so each officer's lines are
    len(officers) / rate seconds apart), whatever the bot does meanwhile."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    lines = []
    for k in range(round(rate * seconds)):
        delay = start + k / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lines.append(send_line(officers[k % len(officers)], 30 + k // len(officers)))
    return lines


Apis = FakeBotApi | Sequence[FakeBotApi]  # one bot's fake, or every bot's of a desk


def _each(api: Apis) -> Sequence[FakeBotApi]:
    return [api] if isinstance(api, FakeBotApi) else api


def receipt_times(api: Apis) -> dict[int, list[float]]:
    """Check-in id -> arrival times (wall clock) of the accepted receipts naming it, at any
    of the given bots."""
    found: dict[int, list[float]] = defaultdict(list)
    for record in (r for each in _each(api) for r in each.requests):
        if record.method.lower() != "sendmessage" or record.status != 200:
            continue
        match = RECEIPT.search(str(record.params.get("text", "")))
        if match is not None:
            found[int(match.group(1))].append(record.time)
    return found


def receipts_sent(api: Apis) -> int:
    """Accepted receipts so far (a receipt sent twice counts twice)."""
    return sum(len(times) for times in receipt_times(api).values())


@dataclass
class Tally:
    """What became of the lines: counts, and per receipted line its latency (s)."""

    lines: int = 0
    stored: int = 0  # lines with a check-in
    stored_twice: int = 0  # check-ins beyond one per line
    receipted: int = 0  # lines with at least one accepted receipt
    receipted_twice: int = 0  # lines with more than one
    uncertain: int = 0  # lines without a receipt whose receipt row is `uncertain`
    lost: int = 0  # lines without a receipt that are not `uncertain`
    not_stored: int = 0
    unhandled_429: int = 0  # receipt rows given up (failed/expired) after a 429
    owed: int = 0  # rows still pending or sending at the end
    statuses: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    bounds: list[float] = field(default_factory=list)  # (backlog at arrival + 1) / cap
    first_receipt: float = 0.0
    last_receipt: float = 0.0


async def tally(url: str, api: Apis, lines: list[Line], *, cap: float = 0.0) -> Tally:
    """Count, from the database and the fakes' records, what became of each line; `cap`
    (per second, the whole desk's) gives each line's latency bound (`Tally.bounds`)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            checkins = (await conn.execute(select(Checkin.id, Checkin.dedupe_key))).all()
            rows = (
                await conn.execute(
                    select(OutboxMessage.status, OutboxMessage.error, OutboxMessage.params)
                )
            ).all()
    finally:
        await engine.dispose()
    by_key: dict[str, list[int]] = defaultdict(list)
    for checkin_id, key in checkins:
        by_key[key].append(checkin_id)
    sent = receipt_times(api)
    uncertain_ids: set[int] = set()
    result = Tally(lines=len(lines), statuses=dict(Counter(status for status, _, _ in rows)))
    for status, error, params in rows:
        match = RECEIPT.search(str((params or {}).get("text", "")))
        if status == OutStatus.UNCERTAIN.value and match is not None:
            uncertain_ids.add(int(match.group(1)))
        if status in GIVEN_UP and "429" in (error or ""):
            result.unhandled_429 += 1
        if status in (OutStatus.PENDING.value, OutStatus.SENDING.value):
            result.owed += 1
    keys = {line.key for line in lines}
    result.stored_twice = sum(len(ids) - 1 for key, ids in by_key.items() if key in keys)
    result.stored_twice += sum(len(ids) for key, ids in by_key.items() if key not in keys)
    arrivals = sorted(line.at for line in lines)
    accepted = sorted(t for times in sent.values() for t in times)
    for line in lines:
        ids = by_key.get(line.key, [])
        if not ids:
            result.not_stored += 1
        result.stored += bool(ids)
        times = sorted(t for checkin_id in ids for t in sent.get(checkin_id, []))
        if times:
            result.receipted += 1
            result.receipted_twice += len(times) > 1
            result.latencies.append(times[0] - line.at)
            if cap:
                backlog = bisect.bisect_left(arrivals, line.at) - bisect.bisect_left(
                    accepted, line.at
                )
                result.bounds.append((max(backlog, 0) + 1) / cap)
        elif any(checkin_id in uncertain_ids for checkin_id in ids):
            result.uncertain += 1
        else:
            result.lost += 1
    if accepted:
        result.first_receipt, result.last_receipt = accepted[0], accepted[-1]
    return result


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` lie (nearest rank); 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]
