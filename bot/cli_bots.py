"""`deskbot bots`: the desk's bots, with their regions, people and load; adding and removing.

A desk needs more than one bot when one bot's ~30 messages a second cannot carry a reminder
round in time (docs/deploy.md sizes it). The first bot is TELEGRAM_BOT_TOKEN; more come from
TELEGRAM_EXTRA_BOT_TOKENS or `deskbot bots add` (the token is read from standard input, never
from the command line, where it would sit in the shell's history and the process list). A
running `deskbot run` takes a new bot, or a change of regions, at its next start.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import select

from bot.cli_tasks import CliError, database, telegram_username
from bot.config import Settings
from domain.bots import BotInfo, Directory, bot_id_of
from domain.clock import utc_now
from storage import bots as bot_rows
from storage.models import DeskBot

SHOWN_REGIONS = 8  # regency codes printed per bot before "and N more"


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `deskbot bots [list|add|remove|pin]`."""
    bots = sub.add_parser(
        "bots",
        help="the desk's bots: list them with their regions and load, add or remove one",
        description="A desk with several bots gives each a share of the regencies (spread by "
        "TPS count unless pinned). Without an action: the list. Example: deskbot bots add "
        "--regions 3201,3202 (the token is asked for, or read from standard input).",
    )
    actions = bots.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", help="each bot with its regions, people, groups and TPS")
    add = actions.add_parser("add", help="add a bot (its token from standard input)")
    add.add_argument(
        "--regions",
        default="",
        metavar="CODES",
        help="regencies (4-digit codes, comma-separated) this bot serves; default: spread",
    )
    remove = actions.add_parser("remove", help="remove a bot added with 'bots add'")
    remove.add_argument("bot", metavar="BOT", help="its @username or id, as 'deskbot bots' shows")
    pin = actions.add_parser("pin", help="make a bot serve these regencies")
    pin.add_argument("bot", metavar="BOT", help="its @username or id")
    pin.add_argument("regions", metavar="CODES", help="4-digit regency codes, comma-separated")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    """Carry out `deskbot bots ...`; a `CliError` says what went wrong."""
    if args.action == "add":
        return await _add(settings, args)
    if args.action == "remove":
        return await _remove(settings, args)
    if args.action == "pin":
        return await _pin(settings, args)
    return await _list(settings)


def _regencies(raw: str) -> list[str]:
    codes = [code.strip() for code in raw.split(",") if code.strip()]
    for code in codes:
        if not (code.isdigit() and len(code) == 4):
            raise CliError(f"'{code}' is not a regency code: regencies have 4 digits (e.g. 3201)")
    return codes


async def _desk_bots(settings: Settings) -> tuple[list[BotInfo], set[int]]:
    """The desk's bots in its order (the settings' first, then those added), as recorded at
    their last start or when added (a settings bot never started: asked from Telegram); and
    the ids whose token comes from the settings."""
    tokens = [settings.token(), *settings.extra_tokens()]
    from_settings = [bot_id_of(token) for token in tokens]
    async with database(settings) as sessions, sessions() as session:
        rows = {row.id: row for row in (await session.execute(select(DeskBot))).scalars()}
        added = sorted(
            (row for row in rows.values() if row.id not in from_settings and row.token),
            key=lambda row: row.added_at,
        )
    ordered = []
    for token, bot_id in zip(tokens, from_settings, strict=True):
        name = rows[bot_id].username if bot_id in rows else await _username(settings, token)
        ordered.append(BotInfo(bot_id, name))
    ordered += [BotInfo(row.id, row.username) for row in added]
    return ordered, set(from_settings)


async def desk_directory(settings: Settings) -> Directory | None:
    """The desk's bots and each regency's bot as recorded (None for a one-bot desk): invites
    made on the command line link to the bot serving their scope."""
    if settings.telegram_bot_token is None:
        return None  # the one-bot path says how to set the token
    if not settings.extra_tokens():
        async with database(settings) as sessions, sessions() as session:
            if not await bot_rows.stored_tokens(session):
                return None  # one bot: the invite path asks Telegram for its name itself
    desk, _ = await _desk_bots(settings)
    if len(desk) < 2:
        return None
    async with database(settings) as sessions, sessions() as session:
        return await bot_rows.directory(session, desk)


async def _username(settings: Settings, token: str) -> str:
    """A bot's username from Telegram (`getMe`); a `CliError` saying what to check."""
    from bot.runner import refused_bot

    return await telegram_username(settings, token, refused=refused_bot(token))


def _find(desk: list[BotInfo], raw: str) -> BotInfo:
    wanted = raw.removeprefix("@").lower()
    for info in desk:
        if str(info.id) == wanted or info.username.lower() == wanted:
            return info
    names = ", ".join(f"@{b.username}" for b in desk)
    raise CliError(f"no bot '{raw}' in this desk (its bots: {names}); see deskbot bots")


async def _list(settings: Settings) -> int:
    desk, from_settings = await _desk_bots(settings)
    async with database(settings) as sessions, sessions() as session:
        directory = await bot_rows.directory(session, desk)
        found = await bot_rows.loads(session, directory, from_settings)
    total = sum(b.tps for b in found) or 1
    for n, load in enumerate(found, start=1):
        where = "settings" if load.from_settings else "added"
        first = ", the desk's first: provinces and the nation" if n == 1 else ""
        print(f"{n}. @{load.username} (id {load.id}, {where}{first})")
        shown = ", ".join(
            code + ("*" if code in load.pinned else "") for code in load.regencies[:SHOWN_REGIONS]
        )
        more = len(load.regencies) - SHOWN_REGIONS
        if more > 0:
            shown += f" and {more} more"
        print(f"   regencies: {len(load.regencies)} ({shown or 'none'})")
        print(
            f"   TPS: {load.tps} ({100 * load.tps / total:.0f}%), people: {load.people}, "
            f"desk groups: {load.groups}"
        )
    if len(found) > 1:
        print("* pinned; the others are spread by TPS count")
    return 0


async def _add(settings: Settings, args: argparse.Namespace) -> int:
    regencies = _regencies(args.regions)
    token = _read_token()
    bot_id = bot_id_of(token)
    username = await telegram_username(
        settings, token, refused="Telegram refused that token: copy it again from @BotFather"
    )
    from_settings = {bot_id_of(settings.token()), *map(bot_id_of, settings.extra_tokens())}
    if bot_id in from_settings:
        raise CliError(f"@{username} is already one of the desk's bots (from the settings)")
    async with database(settings) as sessions, sessions() as session, session.begin():
        known = await bot_rows.regency_tps(session)
        unknown = [code for code in regencies if code not in known]
        if unknown:
            raise CliError(
                f"no TPS loaded for regency {', '.join(unknown)}: check the code "
                "(deskbot tps-lists shows what is loaded)"
            )
        new = await bot_rows.register(
            session, bot_id=bot_id, username=username, token=token, now=utc_now()
        )
        await bot_rows.pin(session, bot_id, regencies)
    print(f"{'added' if new else 'updated'} @{username} (id {bot_id})")
    print("restart deskbot run to start it; deskbot bots shows its share of the regencies")
    return 0


def _read_token() -> str:
    """The token from standard input: asked for without echo on a terminal, else one line."""
    if sys.stdin.isatty():
        token = getpass.getpass("token from @BotFather: ")
    else:
        token = sys.stdin.readline()
    token = token.strip()
    if not token:
        raise CliError("no token given: paste the token @BotFather gave you", 2)
    return token


async def _remove(settings: Settings, args: argparse.Namespace) -> int:
    desk, from_settings = await _desk_bots(settings)
    info = _find(desk, args.bot)
    if info.id in from_settings:
        raise CliError(
            f"@{info.username}'s token is in the settings: take it out of "
            "TELEGRAM_BOT_TOKEN / TELEGRAM_EXTRA_BOT_TOKENS instead"
        )
    async with database(settings) as sessions, sessions() as session, session.begin():
        await bot_rows.remove(session, info.id)
    print(f"removed @{info.username}; restart deskbot run")
    print(
        "people who started it are still bound to it: give them new invites (deskbot invite) "
        "so they start the bot that serves them now"
    )
    return 0


async def _pin(settings: Settings, args: argparse.Namespace) -> int:
    regencies = _regencies(args.regions)
    if not regencies:
        raise CliError("name at least one regency (4-digit code, e.g. 3201)", 2)
    desk, _ = await _desk_bots(settings)
    info = _find(desk, args.bot)
    async with database(settings) as sessions, sessions() as session, session.begin():
        if await session.get(DeskBot, info.id) is None:  # a settings bot never started yet
            await bot_rows.register(
                session, bot_id=info.id, username=info.username, token=None, now=utc_now()
            )
        known = await bot_rows.regency_tps(session)
        unknown = [code for code in regencies if code not in known]
        if unknown:
            raise CliError(
                f"no TPS loaded for regency {', '.join(unknown)}: check the code "
                "(deskbot tps-lists shows what is loaded)"
            )
        await bot_rows.pin(session, info.id, regencies)
        pinned = sorted(
            code for code, bot in (await bot_rows.pins(session)).items() if bot == info.id
        )
    print(
        f"@{info.username} now serves the pinned regencies {', '.join(pinned)} (and its share of "
        "the others); restart deskbot run. People already registered stay with their bot: "
        "new invites link to the one serving them now"
    )
    return 0
