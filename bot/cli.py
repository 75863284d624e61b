"""The `deskbot` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from bot import backup, cli_people, logs
from bot.config import ConfigError, MissingTokenError, Settings
from bot.leader import AlreadyRunning
from domain.invites import deep_link
from domain.masterdata import MasterDataError, parse_tps_file
from domain.regions import parse_scope
from domain.roles import Role, ScopeError, check_scope
from handlers.context import utc_now
from storage import export, people, regions, xlsx
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade

log = logging.getLogger(__name__)

# After the active role is lost, the process gets this long to stop cleanly before it exits
# hard; well inside the time PostgreSQL takes to hand the lock to a standby.
LOST_GRACE_SECONDS = 3.0
DEFAULT_TPS_FILE = Path(__file__).resolve().parent.parent / "data/reference/tps_pemilu2024.csv.gz"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deskbot", description="Desk Pemilu Bot: run the bot and manage its data."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser(
        "run",
        help="start the bot (applies pending migrations first)",
        description="Start the bot: long polling by default, a webhook when "
        "WEBHOOK_URL and WEBHOOK_SECRET are set.",
    )
    sub.add_parser(
        "migrate",
        help="apply pending database migrations and exit",
        description="Apply pending Alembic migrations to DATABASE_URL.",
    )

    backup.add_commands(sub)
    cli_people.add_commands(sub)

    imp = sub.add_parser(
        "import-tps",
        help="load regions and TPS from the KPU list",
        description="Load regions and polling stations from a CSV (plain or "
        "gzip) in the format of tps_pemilu2024.csv.gz. Idempotent; "
        "a file with any bad row is refused whole.",
    )
    imp.add_argument(
        "file",
        type=Path,
        nargs="?",
        default=DEFAULT_TPS_FILE,
        help=f"the list (default: the shipped {DEFAULT_TPS_FILE.name})",
    )
    imp.add_argument(
        "--provinsi",
        action="append",
        default=[],
        metavar="CODE",
        help="only this province (2 digits); repeatable",
    )
    imp.add_argument(
        "--kabupaten",
        action="append",
        default=[],
        metavar="CODE",
        help="only this regency/city (4 digits); repeatable",
    )

    inv = sub.add_parser(
        "invite",
        help="make single-use invite links",
        description="Print or write single-use invite deep links and codes. "
        "Codes are stored hashed; this is the only time they show.",
    )
    inv.add_argument("--role", required=True, choices=[r.value for r in Role])
    inv.add_argument(
        "--scope",
        required=True,
        metavar="CODE",
        help="a TPS id (3604012001-003), a region code (36, 3604, 360401) "
        "or 'all' for the whole deployment",
    )
    inv.add_argument("--count", type=int, default=1, metavar="N", help="how many (default 1)")
    inv.add_argument("--out", type=Path, metavar="FILE.csv", help="write a CSV instead")
    inv.add_argument(
        "--days",
        type=int,
        default=None,
        help="days until the invites expire (default INVITE_TTL_DAYS or 30)",
    )
    inv.add_argument(
        "--bot-username",
        default=None,
        help="bot username for the links (default: asked from Telegram)",
    )
    exp = sub.add_parser(
        "export",
        help="write everything filed to a spreadsheet",
        description="Write every check-in version (one sheet per kind) to an .xlsx file, "
        "times in the desk's local zone.",
    )
    exp.add_argument("--out", required=True, type=Path, metavar="FILE.xlsx", help="where to write")
    exp.add_argument(
        "--scope",
        default="",
        metavar="CODE",
        help="only this region or TPS (e.g. 36, 3604, 360401, 3604012001-003); default all",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    secrets = [
        s.get_secret_value()
        for s in (
            settings.telegram_bot_token,
            settings.webhook_secret,
            settings.sms_signing_key,
            settings.sms_gateway_password,
        )
        if s
    ]
    db_password = make_url(settings.database_url).password
    if db_password:
        secrets.append(str(db_password))
    logs.configure(settings.log_level, settings.log_format, secrets)
    try:
        if args.command == "run":
            try:
                return _run(settings)
            except (MissingTokenError, ConfigError, AlreadyRunning):
                raise
            except Exception:
                # Through logging, so LOG_FORMAT=json stays JSON lines (and secrets redacted).
                log.exception("deskbot run failed")
                return 1
        if args.command == "migrate":
            asyncio.run(_migrate(settings))
            print("database is up to date")
            return 0
        if args.command == "import-tps":
            return asyncio.run(_import(settings, args))
        if args.command == "invite":
            return asyncio.run(_invite(settings, args))
        if args.command == "backup":
            print(f"backup written to {backup.backup(settings, args.out)}")
            return 0
        if args.command == "restore":
            backup.restore(settings, args.file, force=args.force)
            print(f"restored {args.file}; start the bot to apply any newer migrations")
            return 0
        if args.command == "export":
            return asyncio.run(_export(settings, args))
        if args.command == "people":
            return asyncio.run(cli_people.run(settings, args))
    except (MissingTokenError, ConfigError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (AlreadyRunning, backup.BackupError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 1


def _run(settings: Settings) -> int:
    from bot.runner import serve

    settings.token()
    settings.check_webhook()
    settings.check_sms()

    async def main_loop() -> int:
        stop_event = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop_event.set)

        def on_lost() -> None:
            loop.call_later(LOST_GRACE_SECONDS, _exit_now, 3)

        return await serve(settings, stop_event, on_lost=on_lost)

    return asyncio.run(main_loop())


def _exit_now(code: int) -> None:
    """Exit without waiting for anything: work that outlived the grace period must not go on."""
    log.error("still stopping after %.0f s; exiting now", LOST_GRACE_SECONDS)
    logging.shutdown()
    os._exit(code)


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _import(settings: Settings, args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        data = parse_tps_file(args.file, provinces=args.provinsi, regencies=args.kabupaten)
    except FileNotFoundError:
        print(f"no such file: {args.file}", file=sys.stderr)
        return 2
    except MasterDataError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    if not data.villages:
        print("no rows match the given --provinsi/--kabupaten", file=sys.stderr)
        return 1
    parsed = time.perf_counter()
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        sessions = create_sessionmaker(engine)
        async with sessions() as session, session.begin():
            result = await regions.import_masterdata(session, data)
            await people.audit(
                session,
                actor_id=None,
                actor_label="cli",
                action="tps_imported",
                now=utc_now(),
                detail={
                    "file": args.file.name,
                    "provinsi": args.provinsi,
                    "kabupaten": args.kabupaten,
                    "tps": result.tps,
                    "new_tps": result.new_tps,
                },
            )
    finally:
        await engine.dispose()
    done = time.perf_counter()
    print(
        f"imported {result.provinces} provinces, {result.regencies} regencies/cities, "
        f"{result.districts} districts, {result.villages} villages, {result.tps} TPS "
        f"({result.new_tps} new, {result.renamed} regions added or changed) "
        f"in {done - started:.1f} s (parse {parsed - started:.1f} s)"
    )
    return 0


async def _invite(settings: Settings, args: argparse.Namespace) -> int:
    role = Role(args.role)
    scope = parse_scope(args.scope)
    try:
        if scope is None:
            raise ScopeError(f"'{args.scope}' is not a TPS id or region code")
        check_scope(role, scope)
    except ScopeError as exc:
        print(f"--scope: {exc}", file=sys.stderr)
        return 2
    if not 1 <= args.count <= 100_000:
        print("--count must be between 1 and 100000", file=sys.stderr)
        return 2
    username = args.bot_username or await _bot_username(settings)
    days = args.days or settings.invite_ttl_days
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        sessions = create_sessionmaker(engine)
        async with sessions() as session, session.begin():
            if await regions.region(session, scope) is None:
                print(
                    f"--scope: {args.scope} is not in the imported list "
                    "(run deskbot import-tps first)",
                    file=sys.stderr,
                )
                return 1
            codes, expires = await people.issue_invites(
                session,
                role=role,
                scope=scope,
                count=args.count,
                created_by=None,
                actor_label="cli",
                now=utc_now(),
                ttl=timedelta(days=days),
            )
    finally:
        await engine.dispose()
    rows = [
        (role.value, scope, code, deep_link(username, code), expires.isoformat()) for code in codes
    ]
    if args.out:
        with args.out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["role", "scope", "code", "link", "expires_at"])
            writer.writerows(rows)
        print(f"wrote {len(rows)} invite(s) to {args.out}")
    else:
        for _, _, code, link, _ in rows:
            print(f"{link}  {code}")
    return 0


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    scope = parse_scope(args.scope) if args.scope else ""
    if scope is None:
        print(f"--scope: '{args.scope}' is not a TPS id or region code", file=sys.stderr)
        return 2
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        sessions = create_sessionmaker(engine)
        async with sessions() as session:
            sheets = await export.checkin_sheets(session, scope)
    finally:
        await engine.dispose()
    data = xlsx.workbook_bytes(sheets)
    await asyncio.to_thread(args.out.write_bytes, data)
    counts = ", ".join(f"{s.name} {len(s.rows)}" for s in sheets)
    print(f"wrote {args.out}: {counts}")
    return 0


async def _bot_username(settings: Settings) -> str:
    from telegram import Bot

    from bot.app import file_base_url

    bot = Bot(
        settings.token(),
        base_url=settings.telegram_api_base_url,
        base_file_url=file_base_url(settings.telegram_api_base_url),
    )
    async with bot:
        return bot.username
