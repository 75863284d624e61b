"""Several bots for one desk (issue 13): receipts delivered against N x one bot's cap.

For N = 1, 2 and 4 bots: one fake Bot API serving N bots at one address (`FakeBotApi.add_bot`),
each with Telegram's STRICT limits (replies held to the per-bot cap too, the worst case) at a
low cap (`--bot-cap`, default 5/s, so that this machine, whose process ceiling is printed
beside the table, is not what limits it); the real bot running all N bots in one process
(TELEGRAM_EXTRA_BOT_TOKENS), each bot's sender at the same cap. Banten's 8 regencies are
spread over the bots by TPS (`domain.bots.spread`, as the desk does); officer i sits on a TPS
served by bot i mod N and is bound to it (`bench.harness.register_officers`). Each officer
sends one `SIAP 06:30 7` to their bot; the lines are offered open-loop at 3 x cap in total
(taking turns over the bots) for a fixed window (`WINDOW`), then the backlog drains.

Per N: receipts accepted during the window, a second, against min(offered, N x cap) (target
>= 0.9); p95 latency from line to receipt (against the backlog bound, `outbox_lines.Tally`);
429s answered (target 0); lines lost and receipts or check-ins doubled (target 0). The desk
runs with PACE_REPLIES=true, the setting for a Telegram that holds replies to the cap as the
strict fake does (by default replies go unpaced until their first 429: each bot then meets one
refusal per call in flight, 8-10 in this section's runs before the setting existed).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from domain.bots import BotInfo, bot_id_of
from tests.fakebot import TELEGRAM_STRICT_LIMITS, FakeBotApi

from . import ceiling
from .common import BenchApi, Figure, Options, Section
from .harness import FIRST_USER, desk_bot, prepare_database, register_officers, sqlite_url
from .outbox_lines import Tally, offer, percentile, receipt_times, receipts_sent, tally

PROVINCE = "36"  # Banten: 8 regencies and cities, 33,000 TPS
BOTS = (1, 2, 4)
LOAD = 3.0  # lines offered a second, in units of one bot's cap
WINDOW = (12.0, 40.0)  # seconds of offered load: quick, full
TELEGRAM_CAP = 30.0  # Telegram's proactive messages a second per bot


@dataclass
class Row:
    """One N of the table; rates a second, latencies in seconds."""

    bots: int
    offered: float
    capacity: float  # bots x cap
    delivered: float  # receipts accepted during the window, over the window's seconds
    drained: float  # all receipts over the seconds from the first line to the last receipt
    counted: Tally
    rate_limited: int  # 429s answered, every bot
    peak: int  # most sends one bot had accepted in any 1 s
    refusals: list[str]  # each 429: "<seconds after the first line>s <method>"

    @property
    def expected(self) -> float:
        """What the desk can deliver at most: min(offered, N x cap), a second."""
        return min(self.offered, self.capacity)

    @property
    def doubled(self) -> int:
        """Lines receipted twice plus check-ins stored beyond one per line."""
        return self.counted.receipted_twice + self.counted.stored_twice


async def _one(template: Path, folder: Path, bots: int, *, cap: float, seconds: float,
               latency: float) -> Row:  # fmt: skip
    """Offer LOAD x cap lines a second to a desk of `bots` bots for `seconds`, wait for every
    receipt (or give up after the backlog's time twice over), count."""
    db = folder / f"bots-{bots}.sqlite3"
    shutil.copy(template, db)
    url = sqlite_url(folder, db.name)
    rate = LOAD * cap
    total = round(rate * seconds)
    async with BenchApi(**{**TELEGRAM_STRICT_LIMITS, "per_bot_rate": cap}) as api:
        extra = [f"{900_000 + b}:SCALE-token-{b}" for b in range(1, bots)]
        fakes: list[FakeBotApi] = [api] + [
            api.add_bot(token, f"desk_scale_{b}_bot") for b, token in enumerate(extra, 1)
        ]
        for fake in fakes:
            fake.set_latency(latency)
        infos = [BotInfo(bot_id_of(f.token), str(f.state.bot_user["username"])) for f in fakes]
        seats = await register_officers(url, total, bots=infos)
        officers = [fakes[i % bots].user(FIRST_USER + i) for i in range(total)]
        # The fake holds replies to the cap (strict): so does the desk's setting for that case,
        # PACE_REPLIES, or each bot's first 429 costs a refusal per call then in flight.
        async with desk_bot(api, url, send_rate=cap, pace_replies=True,
                            telegram_extra_bot_tokens=",".join(extra)) as running:  # fmt: skip
            desk = running.services.desk
            wrong = [
                i for i, tps in enumerate(seats) if desk.for_scope(tps).id != infos[i % bots].id
            ]
            assert not wrong, f"{len(wrong)} officers bound to a bot not serving their TPS"
            lines = await offer(officers, rate=rate, seconds=seconds)
            backlog = max(0.0, total / min(rate, bots * cap) - seconds)
            for _ in range(round((2 * backlog + 30) / 0.5)):  # the backlog drains
                if receipts_sent(fakes) >= total:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(1.0)  # outcomes recorded, nothing more owed
        counted = await tally(url, fakes, lines, cap=bots * cap)
    start = min(line.at for line in lines)
    in_window = sum(
        1
        for times in receipt_times(fakes).values()
        for at in times
        if start <= at <= start + seconds
    )
    refused = sorted((r.time, r.method) for f in fakes for r in f.requests if r.status == 429)
    return Row(
        bots=bots,
        offered=rate,
        capacity=bots * cap,
        delivered=in_window / seconds,
        drained=counted.receipted / max(counted.last_receipt - start, 1e-9),
        counted=counted,
        rate_limited=sum(f.count_429() for f in fakes),
        peak=max(f.peak_sends(proactive_only=False) for f in fakes),
        refusals=[f"{at - start:.1f}s {method}" for at, method in refused],
    )


def report(rows: list[Row], *, cap: float, seconds: float, ceiling_per_s: float,
           measured_here: bool) -> str:  # fmt: skip
    """The scaling table, and the process ceiling beside it."""
    lines = [
        f"scaling: one-line check-ins offered at {LOAD:g} x cap = {LOAD * cap:g}/s for "
        f"{seconds:g} s over the bots; each bot's cap {cap:g}/s, strict limits (replies capped; "
        "the desk with PACE_REPLIES=true)",
        f"{'bots':>4} {'offered/s':>9} {'N x cap':>7} {'delivered/s':>11} {'ratio':>5} "
        f"{'drained/s':>9} {'p95 s':>6} {'bound s':>7} {'429s':>4} {'lost':>4} {'dup':>3} "
        f"{'lines':>5}",
    ]
    for row in rows:
        c = row.counted
        lines.append(
            f"{row.bots:>4} {row.offered:>9.1f} {row.capacity:>7.1f} {row.delivered:>11.2f} "
            f"{row.delivered / row.expected:>5.2f} {row.drained:>9.2f} "
            f"{percentile(c.latencies, 0.95):>6.1f} {percentile(c.bounds, 0.95):>7.1f} "
            f"{row.rate_limited:>4} {c.lost + c.not_stored:>4} {row.doubled:>3} {c.lines:>5}"
        )
    how = "measured by this section" if measured_here else "the ceiling section, this run"
    lines += [
        "ratio = delivered / min(offered, N x cap), target >= 0.9; bound = p95 of (backlog at "
        "the line's arrival + 1) / (N x cap)",
        f"process ceiling: {ceiling_per_s:.0f} one-line check-ins/s in one bot process "
        f"(SQLite, no flood limits; {how}), i.e. about {ceiling_per_s / TELEGRAM_CAP:.1f} bots "
        f"at Telegram's {TELEGRAM_CAP:g}/s before the process, not Telegram, limits",
    ]
    return "\n".join(lines)


def figures(row: Row) -> list[Figure]:
    """One N's figures for the common table."""
    c, n = row.counted, f"{row.bots} bot{'s' if row.bots > 1 else ''}"
    return [
        Figure(f"{n}: receipts/s in window (vs min(offered, N x cap))", row.delivered, "/s",
               baseline=row.expected, target="ratio >= 0.9"),
        Figure(f"{n}: receipt p95 latency (vs backlog bound)", percentile(c.latencies, 0.95),
               "s", baseline=percentile(c.bounds, 0.95), target="ratio <= 1"),
        Figure(f"{n}: 429 answered", row.rate_limited, "calls", target="= 0"),
        Figure(f"{n}: lines lost", c.lost + c.not_stored, "lines", target="= 0"),
        Figure(f"{n}: duplicates (receipts + check-ins)", row.doubled, "lines", target="= 0"),
    ]  # fmt: skip


async def run(options: Options) -> Section:
    """The scaling section for `python -m bench`: the table for N = 1, 2, 4 bots."""
    cap = options.bot_cap
    seconds = WINDOW[0] if options.quick else WINDOW[1]
    section = Section("scaling")
    rows = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        template = folder / "template.sqlite3"
        await prepare_database(sqlite_url(folder, template.name), provinces=[PROVINCE], officers=0)
        for bots in BOTS:
            print(f"  scaling: {bots} bot(s) ...", flush=True)
            rows.append(await _one(template, folder, bots, cap=cap, seconds=seconds,
                                   latency=options.latency))  # fmt: skip
    measured_here = options.ceiling_per_s is None
    ceiling_per_s = options.ceiling_per_s
    if ceiling_per_s is None:
        ceiling_per_s = await ceiling.line_rate(quick=options.quick)
    for row in rows:
        section.figures += figures(row)
    section.figures.append(Figure("process ceiling: one-line check-ins per second",
                                  ceiling_per_s, "/s"))  # fmt: skip
    section.report = report(rows, cap=cap, seconds=seconds, ceiling_per_s=ceiling_per_s,
                            measured_here=measured_here)  # fmt: skip
    section.notes = {
        "cap_per_bot_per_s": cap,
        "offered_per_s": LOAD * cap,
        "window_s": seconds,
        "latency_s": options.latency,
        "province": PROVINCE,
        "peak_sends_one_bot_1s": {row.bots: row.peak for row in rows},
        "p95_latency_s": {
            row.bots: round(percentile(row.counted.latencies, 0.95), 2) for row in rows
        },
        "drained_per_s": {row.bots: round(row.drained, 2) for row in rows},
        "statuses": {row.bots: row.counted.statuses for row in rows},
        "429s_after_first_line": {row.bots: row.refusals[:20] for row in rows},
        "unhandled_429": {row.bots: row.counted.unhandled_429 for row in rows},
        "owed_at_end": {row.bots: row.counted.owed for row in rows},
        "database": "sqlite",
    }
    return section
