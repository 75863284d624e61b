"""The data commands of `deskbot`: migrate, import-tps, tps-lists, invite, export.

Each checks its arguments, then the database (does the scope exist?), and only then, when it
must, asks Telegram anything; every failure is a `CliError` carrying one line saying what to do.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.error import InvalidToken, NetworkError

from bot.config import MissingTokenError, Settings
from domain.checkins.kinds import Kind
from domain.clock import utc_now
from domain.invites import deep_link
from domain.masterdata import MasterDataError, parse_tps_file
from domain.regions import Level, level_of, parse_scope
from domain.roles import Role, ScopeError, check_scope
from domain.schedule import desk_time
from storage import digest, export, people, regions, staff, tpslists
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from views import exports
from views.checkins import kind_name

DEFAULT_TPS_FILE = Path(__file__).resolve().parent.parent / "data/reference/tps_pemilu2024.csv.gz"
MAX_COUNT = 100_000
ASK_USERNAME = "or pass --bot-username NAME to make the links without asking Telegram"


class CliError(Exception):
    """A command cannot go on; `str()` is the one line for the terminal, `code` the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database for one command; the engine is closed afterwards."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def migrate(settings: Settings) -> None:
    async with database(settings):
        pass


def region_code_arg(length: int, what: str) -> Callable[[str], str]:
    """An argparse type for a `--provinsi` (2 digits) or `--kabupaten` (4 digits) code."""

    def parse(raw: str) -> str:
        code = raw.strip()
        if code.isdigit() and len(code) == length:
            return code
        if code.isdigit() and len(code) == 6 - length:  # the other of the two
            other = "--kabupaten" if length == 2 else "--provinsi"
            raise argparse.ArgumentTypeError(
                f"'{code}' is not a {what} code ({length} digits); for this one use {other} {code}"
            )
        raise argparse.ArgumentTypeError(f"'{code}' is not a {what} code ({length} digits)")

    return parse


def scope_arg(raw: str) -> str:
    """A `--scope` value as a canonical code, or a `CliError` naming the accepted shapes."""
    scope = parse_scope(raw)
    if scope is None:
        raise CliError(
            f"--scope: '{raw}' is not a TPS id or region code "
            "(e.g. 3604052001-001, 360405, 3604, 36, or all)",
            2,
        )
    return scope


async def require_region(session: AsyncSession, scope: str, raw: str) -> None:
    """A `CliError` unless the scope is imported: a typo inside a loaded region is named as
    one, and only a region nothing of which is loaded sends the reader to import-tps."""
    if await regions.region(session, scope) is not None:
        return
    if len(scope) > 4 and await regions.region(session, scope[:4]) is not None:
        raise CliError(
            f"--scope: there is no region or TPS {raw} in the imported list "
            f"({scope[:4]} is loaded); check the code"
        )
    raise CliError(f"--scope: {raw} is not in the imported list (run deskbot import-tps first)")


async def import_tps(settings: Settings, args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        data = parse_tps_file(args.file, provinces=args.provinsi, regencies=args.kabupaten)
    except FileNotFoundError:
        raise CliError(f"no such file: {args.file}", 2) from None
    except MasterDataError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    if not data.villages:
        asked = [f"--provinsi {c}" for c in args.provinsi] + [
            f"--kabupaten {c}" for c in args.kabupaten
        ]
        raise CliError(f"{args.file.name} has no rows for {', '.join(asked)}; check the code")
    replaced = sorted(set(args.provinsi) | set(args.kabupaten)) or sorted(data.regencies())
    name = args.name or args.file.name
    async with database(settings) as sessions, sessions() as session, session.begin():
        result = await regions.import_masterdata(session, data)
        change = await tpslists.replace_tps(
            session, data, replaced, name=name, file_name=args.file.name, now=utc_now()
        )
        await people.audit(
            session,
            actor_id=None,
            actor_label="cli",
            action="tps_imported",
            now=utc_now(),
            detail={
                "file": args.file.name,
                "name": name,
                "regions": replaced,
                "tps": result.tps,
                "new_tps": result.new_tps,
                "removed": change.removed,
                "kept_apart": change.retired,
            },
        )
    print(
        f"imported '{name}': {result.provinces} provinces, {result.regencies} regencies/cities, "
        f"{result.districts} districts, {result.villages} villages, {result.tps} TPS "
        f"({result.new_tps} new, {change.restored} back, {change.removed} removed, "
        f"{result.renamed} regions added or changed) in {time.perf_counter() - started:.1f} s"
    )
    if change.retired:
        print(
            f"{len(change.retired)} TPS are not in this list but have people or check-ins; "
            "they are kept apart (not counted, not offered), with their check-ins:"
        )
        for tps in change.retired:
            print(f"  {tps}")
    return 0


async def show_lists(settings: Settings) -> int:
    async with database(settings) as sessions, sessions() as session:
        lists = await tpslists.loaded_lists(session)
        zone = (await digest.desk_setup(session)).zone
        names = {
            item.region_code: found.name
            for item in lists
            if (found := await regions.region(session, item.region_code)) is not None
        }
    if not lists:
        print("no TPS list loaded yet: run deskbot import-tps")
        return 0
    for item in lists:
        region = f"{item.region_code} {names.get(item.region_code, '')}".strip() or "all"
        source = item.name if item.name == item.file_name else f"{item.name} ({item.file_name})"
        print(
            f"{region}: {source}, {item.tps} TPS, {item.retired} kept apart, "
            f"loaded {desk_time(item.loaded_at, zone)}"
        )
    return 0


async def bot_username(settings: Settings) -> str:
    """The bot's username from Telegram (`getMe`), or a `CliError` saying what to do."""
    try:
        token = settings.token()
    except MissingTokenError:
        raise CliError(
            f"TELEGRAM_BOT_TOKEN is not set: put it in .env, {ASK_USERNAME}", 2
        ) from None
    return await telegram_username(
        settings,
        token,
        refused=f"Telegram refused TELEGRAM_BOT_TOKEN: check the token in .env, {ASK_USERNAME}",
        then=ASK_USERNAME,
    )


async def telegram_username(settings: Settings, token: str, *, refused: str, then: str = "") -> str:
    """A bot's username from Telegram (`getMe`). A `CliError`: `refused` (exit code 2) when
    Telegram refuses the token; when Telegram cannot be reached, that, with `then` after it."""
    from telegram import Bot

    from bot.app import file_base_url

    bot = Bot(
        token,
        base_url=settings.telegram_api_base_url,
        base_file_url=file_base_url(settings.telegram_api_base_url),
    )
    try:
        async with bot:
            return bot.username
    except InvalidToken:
        raise CliError(refused, 2) from None
    except NetworkError as exc:
        raise CliError(
            f"Telegram cannot be reached ({type(exc).__name__}): check the network and "
            "TELEGRAM_API_BASE_URL" + (f", {then}" if then else "")
        ) from None


async def invite(settings: Settings, args: argparse.Namespace) -> int:
    role: Role = args.role
    scope = scope_arg(args.scope)
    per_tps = role is Role.TPS and level_of(scope) is not Level.TPS
    if per_tps:
        if level_of(scope) is Level.NATION:
            raise CliError("--role tps with --scope all: name a region (e.g. 360405)", 2)
        if args.count != 1:
            raise CliError("--count does not go with a region scope for --role tps", 2)
    else:
        try:
            check_scope(role, scope)
        except ScopeError as exc:
            raise CliError(f"--scope: {exc}", 2) from None
    if not 1 <= args.count <= MAX_COUNT:
        raise CliError(f"--count must be between 1 and {MAX_COUNT}", 2)
    ttl = timedelta(days=args.days or settings.invite_ttl_days)
    async with database(settings) as sessions:
        async with sessions() as session:
            await require_region(session, scope, args.scope)
        from bot.cli_bots import desk_directory

        desk = None if args.bot_username else await desk_directory(settings)
        username = "" if desk else args.bot_username or await bot_username(settings)

        def link(scope_code: str, code: str) -> str:
            """The invite's link opens the bot serving its scope (`domain.bots`)."""
            return deep_link(desk.for_scope(scope_code).username if desk else username, code)

        async with sessions() as session, session.begin():
            if per_tps:
                made, expires = await staff.invite_every_tps(
                    session, scope, created_by=None, actor_label="cli", now=utc_now(), ttl=ttl
                )
                rows = [[i.tps_id, i.place, link(i.tps_id, i.code)] for i in made]
                header = ["tps", "place", "link"]
            else:
                codes, expires = await people.issue_invites(
                    session,
                    role=role,
                    scope=scope,
                    count=args.count,
                    created_by=None,
                    actor_label="cli",
                    now=utc_now(),
                    ttl=ttl,
                )
                rows = [[role.value, scope, c, link(scope, c)] for c in codes]
                header = ["role", "scope", "code", "link"]
    # `phone` is left empty for the desk to fill in: `deskbot people phones FILE` reads it back.
    header += ["expires_at", "phone"]
    rows = [[*row, expires.isoformat(), ""] for row in rows]
    if args.out:
        # Each link lets one person in: readable by the desk's own account only (0600), as
        # a file holding secrets should be on a shared server.
        args.out.touch(mode=0o600)  # created private, before any link is written to it
        args.out.chmod(0o600)  # an existing file kept its mode
        with args.out.open("w", newline="", encoding="utf-8") as handle:
            _write_csv(handle, header, rows)
        print(f"wrote {len(rows)} invite(s) to {args.out}")
    elif per_tps:
        _write_csv(sys.stdout, header, rows)
    else:
        for row in rows:
            print(f"{row[3]}  {row[2]}")
    return 0


def _write_csv(handle: TextIO, header: list[str], rows: list[list[str]]) -> None:
    writer = csv.writer(handle)
    writer.writerow(header)
    writer.writerows(rows)


async def export_sheets(settings: Settings, args: argparse.Namespace) -> int:
    scope = scope_arg(args.scope) if args.scope else ""
    async with database(settings) as sessions, sessions() as session:
        if scope:
            await require_region(session, scope, args.scope)
        sheets = await export.checkin_sheets(session, scope)
    data = await asyncio.to_thread(exports.workbook, sheets, args.lang, settings.election)
    await asyncio.to_thread(args.out.write_bytes, data)
    counts = ", ".join(f"{kind_name(args.lang, Kind(s.name))} {len(s.rows)}" for s in sheets)
    print(f"wrote {args.out}: {counts}")
    return 0
