"""`python -m bench [SECTION...] [--quick] [--country]`: run benchmark sections, print a table,
keep JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path

from . import broadcast, ceiling, checkins, digest, memory, outbox, scaling, web
from .common import Options, Section, table

SECTIONS: dict[str, Callable[[Options], Awaitable[Section]]] = {
    "checkins": checkins.run,
    "ceiling": ceiling.run,
    "memory": memory.run,
    "digest": digest.run,
    "broadcast": broadcast.run,
    "outbox": outbox.run,
    "scaling": scaling.run,
    "web": web.run,
}
RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("sections", nargs="*", choices=[[], *SECTIONS], metavar="SECTION",
                        help=f"which to run (default all): {', '.join(SECTIONS)}")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="small sizes, for smoke runs")
    parser.add_argument("--latency", type=float, default=0.03, help="fake API seconds per call")
    parser.add_argument("--users", type=int, default=200, help="simulated officers")
    parser.add_argument(
        "--conversations",
        type=int,
        default=None,
        help="memory: conversations open (default 10,000; 50,000 with --country)",
    )
    parser.add_argument(
        "--country",
        action="store_true",
        help="memory and digest: all 818,339 TPS of the country instead of Jawa Barat "
        "(digest: on PostgreSQL, seeded once in about two minutes)",
    )
    parser.add_argument("--cap", type=float, default=2.0, help="outbox: send cap, per second")
    parser.add_argument("--runs", type=int, default=None, help="web, ceiling: interleaved rounds")
    parser.add_argument(
        "--bot-cap", type=float, default=5.0, help="scaling: each bot's cap, per second"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    options = Options(
        quick=args.quick,
        latency=args.latency,
        users=args.users,
        conversations=args.conversations,
        country=args.country,
        cap=args.cap,
        runs=args.runs,
        bot_cap=args.bot_cap,
    )
    chosen = args.sections or list(SECTIONS)
    results = []
    for name in chosen:
        print(f"running {name}{' (quick)' if args.quick else ''} ...", flush=True)
        results.append(asyncio.run(SECTIONS[name](options)))
        if name == "ceiling":  # the scaling section prints it beside its table
            options.ceiling_per_s = ceiling.line_rate_of(results[-1])
    print()
    print(table(results))
    for section in results:
        for key, value in section.notes.items():
            print(f"  {section.name}.{key} = {value}")
    for section in results:
        if section.report:
            print(f"\n{section.report}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    payload = {
        "quick": args.quick,
        "sections": [
            {**asdict(s), "figures": [{**asdict(f), "ratio": f.ratio} for f in s.figures]}
            for s in results
        ],
    }
    out.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    print(f"\nwrote {out}")
    return 0


raise SystemExit(main())
