"""`deskbot rehearsal start|end|report|delete`: rehearsals from the command line (audited).

Works on the database directly, so it also works while the bot runs elsewhere: a running bot
picks a started rehearsal's schedule up at its next tick and sends the report of one ended
here (`views.rehearsal_report`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tomllib
from pathlib import Path
from typing import Any

from bot.config import Settings
from domain.clock import utc_now
from domain.rehearsal import DEFAULT_PLAN, RehearsalPlan, RehearsalStatus
from domain.schedule import ScheduleError, desk_time
from storage import people, rehearsals, xlsx
from storage.db import create_engine, create_sessionmaker
from storage.digest import desk_setup
from storage.migrate import upgrade
from views.rehearsal import plan_lines, report_sheets

ACTOR = "cli"


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rehearsal = sub.add_parser(
        "rehearsal",
        help="start, end, report or delete a rehearsal (simulasi)",
        description="While a rehearsal runs every check-in is practice, kept apart from the "
        "real figures; its schedule runs beside the real one.",
    )
    actions = rehearsal.add_subparsers(dest="action", required=True, metavar="ACTION")
    start = actions.add_parser(
        "start",
        help="start a rehearsal",
        description="Start a rehearsal; only one at a time.",
    )
    start.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="its schedule, times after the start (see rehearsal.example.toml); "
        "default: logistik after 30m, siap after 1h, digests after 20m, 45m, 75m",
    )
    actions.add_parser("end", help="end the running rehearsal", description="End it.")
    report = actions.add_parser(
        "report",
        help="write the last rehearsal's report",
        description="Who filed, who never did, who needed help, as a spreadsheet; "
        "the summary is printed.",
    )
    report.add_argument("--out", required=True, type=Path, metavar="FILE.xlsx")
    delete = actions.add_parser(
        "delete",
        help="delete the last ended rehearsal's data",
        description="Delete every row the last ended rehearsal caused; real rows stay.",
    )
    delete.add_argument("--yes", action="store_true", help="really delete (required)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run one rehearsal action; 0 on success, 1 when refused, 2 on bad input."""
    plan = DEFAULT_PLAN
    if args.action == "start" and args.config is not None:
        try:
            plan = RehearsalPlan.from_dict(tomllib.loads(args.config.read_text("utf-8")))
        except (OSError, tomllib.TOMLDecodeError, ScheduleError) as exc:
            print(f"{args.config}: {exc}", file=sys.stderr)
            return 2
    if args.action == "delete" and not args.yes:
        print("deleting needs --yes", file=sys.stderr)
        return 2
    return asyncio.run(_run(settings, args, plan))


async def _run(settings: Settings, args: argparse.Namespace, plan: RehearsalPlan) -> int:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        sessions = create_sessionmaker(engine)
        async with sessions() as session, session.begin():
            return await _act(session, args, plan)
    finally:
        await engine.dispose()


async def _audit(session: Any, action: str, detail: dict[str, Any]) -> None:
    await people.audit(
        session, actor_id=None, actor_label=ACTOR, action=action, detail=detail, now=utc_now()
    )


async def _act(session: Any, args: argparse.Namespace, plan: RehearsalPlan) -> int:
    now = utc_now()
    if args.action == "start":
        try:
            info = await rehearsals.start(session, plan, by=None, now=now)
        except rehearsals.AlreadyRunning as exc:
            print(f"rehearsal {exc.running.id} is still running; end it first", file=sys.stderr)
            return 1
        await _audit(session, "rehearsal_started", {"rehearsal": info.id, "plan": plan.to_dict()})
        zone = (await desk_setup(session)).zone
        print(f"rehearsal {info.id} started {desk_time(now, zone)}")
        for line in plan_lines("en", info, zone):  # the deadlines and digests in local time
            print(f"  {line}")
        return 0
    if args.action == "end":
        ended = await rehearsals.end(session, now=now)
        if ended is None:
            print("no rehearsal is running", file=sys.stderr)
            return 1
        await _audit(session, "rehearsal_ended", {"rehearsal": ended.id})
        print(f"rehearsal {ended.id} ended; a running bot sends its report to the desk groups")
        return 0
    latest = await rehearsals.latest(session)
    if latest is None or latest.status is not RehearsalStatus.ENDED:
        state = "none" if latest is None else latest.status.value
        print(f"no ended rehearsal with data (last: {state})", file=sys.stderr)
        return 1
    if args.action == "report":
        setup = await desk_setup(session)
        found = await rehearsals.report(session, latest.id, setup.scope)
        assert found is not None
        await asyncio.to_thread(args.out.write_bytes, xlsx.workbook_bytes(report_sheets(found)))
        print(
            f"wrote {args.out}: rehearsal {latest.id}, {found.checkins} check-ins, "
            f"{len(found.filed)} filed, {len(found.never)} never filed, "
            f"{len(found.needed_help)} needed help"
        )
        return 0
    counts = await rehearsals.delete_data(session, latest.id, now=now)
    await _audit(session, "rehearsal_deleted", {"rehearsal": latest.id, "rows": counts})
    print(
        f"rehearsal {latest.id} data deleted: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    return 0
