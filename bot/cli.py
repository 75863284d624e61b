"""The `deskbot` command line (also `python -m bot`).

Every failure ends in one plain line on stderr that says what to do, never a traceback and
never a secret (the token, the webhook secret, the database password are redacted from
anything printed). `LOG_LEVEL=DEBUG` logs the traceback of an unexpected failure, redacted.
Commands other than `run` log only warnings unless `LOG_LEVEL=DEBUG`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from telegram.error import InvalidToken

from bot import backup, cli_bots, cli_people, cli_tasks, logs, rehearsal_cli
from bot.cli_tasks import DEFAULT_TPS_FILE, CliError
from bot.config import ConfigError, MissingTokenError, Settings
from bot.leader import AlreadyRunning
from domain.roles import ROLE_WORDS, Role, parse_role
from reminders.config import DeskConfigError, read_config

log = logging.getLogger(__name__)

# After the active role is lost, the process gets this long to stop cleanly before it exits
# hard; well inside the time PostgreSQL takes to hand the lock to a standby.
LOST_GRACE_SECONDS = 3.0
# Examples from the shipped KPU list (Kec. Kramatwatu, Kab. Serang, Banten).
EXAMPLE_TPS = "3604052001-001"
EXAMPLE_DISTRICT = "360405"
BAD_TOKEN = (
    "Telegram refused TELEGRAM_BOT_TOKEN: copy the token again from @BotFather "
    "(/mybots > API Token) into .env"
)


def role_arg(value: str) -> Role:
    """`--role` in English or Indonesian (`koordinator`)."""
    role = parse_role(value)
    if role is None:
        raise argparse.ArgumentTypeError(
            f"unknown role '{value}' (choose from {', '.join(sorted(ROLE_WORDS))})"
        )
    return role


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
    rehearsal_cli.add_commands(sub)

    imp = sub.add_parser(
        "import-tps",
        help="load regions and TPS from the KPU list (replaces a region's TPS list)",
        description="Load regions and polling stations from a CSV (plain or gzip) in the "
        "format of tps_pemilu2024.csv.gz. A file with any bad row is refused whole. The "
        "regions loaded (each --kabupaten/--provinsi, else every regency in the file) get "
        "exactly the file's TPS: TPS it leaves out are deleted, or kept apart and listed "
        "when people or check-ins point at them. Loading the same file again changes nothing.",
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
        type=cli_tasks.region_code_arg(2, "province"),
        metavar="CODE",
        help="only this province (2 digits, e.g. 36); repeatable",
    )
    imp.add_argument(
        "--kabupaten",
        action="append",
        default=[],
        type=cli_tasks.region_code_arg(4, "regency/city"),
        metavar="CODE",
        help="only this regency/city (4 digits, e.g. 3604); repeatable",
    )
    imp.add_argument(
        "--name",
        default=None,
        metavar="TEXT",
        help="the list's name shown to the desk (e.g. 'Pilkada 2024'; default: the file name)",
    )
    sub.add_parser(
        "tps-lists",
        help="show which TPS list is loaded for each region",
        description="The newest list loaded per region: name, file, when, how many TPS, "
        "and how many TPS are kept apart.",
    )

    inv = sub.add_parser(
        "invite",
        help="make single-use invite links",
        description="Print or write single-use invite deep links and codes. Codes are "
        "stored hashed; this is the only time they show. With --role tps and a region "
        "scope: one invite per TPS in the region, as CSV (TPS id, place, link), in one "
        "transaction. The CSV's empty phone column is for officers' numbers (SMS filing): "
        "fill it in and run `deskbot people phones FILE.csv`. Example: deskbot invite "
        f"--role tps --scope {EXAMPLE_DISTRICT} --out kramatwatu.csv",
    )
    inv.add_argument(
        "--role",
        required=True,
        type=role_arg,
        metavar="ROLE",
        help="tps, camat, coordinator (koordinator) or admin",
    )
    inv.add_argument(
        "--scope",
        required=True,
        metavar="CODE",
        help=f"a TPS id ({EXAMPLE_TPS}), a region code (36, 3604, {EXAMPLE_DISTRICT}) "
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
        metavar="NAME",
        help="the bot's username for the links (default: asked from Telegram with the token)",
    )
    exp = sub.add_parser(
        "export",
        help="write everything filed to a spreadsheet",
        description="Write every check-in version (one sheet per kind) to an .xlsx file, "
        "times in the desk's local zone; the same columns as /ekspor and the digest sheet.",
    )
    exp.add_argument("--out", required=True, type=Path, metavar="FILE.xlsx", help="where to write")
    exp.add_argument(
        "--lang",
        choices=["id", "en"],
        default="id",
        help="language of the sheet names and column headers (default id)",
    )
    exp.add_argument(
        "--scope",
        default="",
        metavar="CODE",
        help=f"only this region or TPS (e.g. 36, 3604, {EXAMPLE_DISTRICT}, {EXAMPLE_TPS}); "
        "default all",
    )
    cli_people.add_commands(sub)
    cli_bots.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(settings_problem(exc), file=sys.stderr)
        return 2
    secrets = logs.secrets_of(settings, make_url(settings.database_url).password)
    level = settings.log_level if args.command == "run" else quiet_level(settings.log_level)
    logs.configure(level, settings.log_format, secrets)
    try:
        return _dispatch(settings, args)
    except CliError as exc:
        print(logs.redact(str(exc), secrets), file=sys.stderr)
        return exc.code
    except MissingTokenError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except InvalidToken:
        print(BAD_TOKEN, file=sys.stderr)
        return 2
    except (ConfigError, DeskConfigError, AlreadyRunning, backup.BackupError) as exc:
        print(logs.redact(str(exc), secrets), file=sys.stderr)
        return 2 if isinstance(exc, ConfigError | DeskConfigError) else 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Through logging (redacted, JSON when asked); the terminal gets one line.
        log.debug("deskbot %s failed", args.command, exc_info=True)
        print(logs.redact(one_line(args.command, exc), secrets), file=sys.stderr)
        return 1


def settings_problem(exc: ValidationError) -> str:
    """A bad setting as one line per setting: its .env name and what is wrong, never the
    value given (it may be a token or a password)."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        name = str(error["loc"][0]).upper() if error["loc"] else "a setting"
        lines.append(f"setting {name}: {error['msg'].removeprefix('Value error, ')}")
    return "\n".join(lines)


def quiet_level(configured: str) -> str:
    """One-shot commands print their own result; their logs stay at WARNING unless DEBUG."""
    return "DEBUG" if configured.upper() == "DEBUG" else "WARNING"


def one_line(command: str, exc: BaseException) -> str:
    """An unexpected failure as one line: what failed and where to look."""
    if isinstance(exc, ConnectionError | socket.gaierror | OperationalError | InterfaceError):
        return (
            f"deskbot {command}: the database cannot be reached ({type(exc).__name__}); check "
            "DATABASE_URL and that the database server is running"
        )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    what = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return f"deskbot {command} failed ({what[:200]}); LOG_LEVEL=DEBUG shows the details"


def _dispatch(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "run":
        return _run(settings)
    if args.command == "migrate":
        asyncio.run(cli_tasks.migrate(settings))
        print("database is up to date")
        return 0
    if args.command == "import-tps":
        return asyncio.run(cli_tasks.import_tps(settings, args))
    if args.command == "tps-lists":
        return asyncio.run(cli_tasks.show_lists(settings))
    if args.command == "invite":
        return asyncio.run(cli_tasks.invite(settings, args))
    if args.command == "backup":
        print(f"backup written to {backup.backup(settings, args.out)}")
        return 0
    if args.command == "restore":
        backup.restore(settings, args.file, force=args.force)
        print(f"restored {args.file}; start the bot to apply any newer migrations")
        return 0
    if args.command == "export":
        return asyncio.run(cli_tasks.export_sheets(settings, args))
    if args.command == "people":
        return asyncio.run(cli_people.run(settings, args))
    if args.command == "bots":
        return asyncio.run(cli_bots.run(settings, args))
    if args.command == "rehearsal":
        return rehearsal_cli.run(settings, args)
    return 1


def _run(settings: Settings) -> int:
    from bot.serve import EXIT_LOST_LEADERSHIP, serve

    settings.token()
    settings.check_webhook()
    settings.check_sms()
    if settings.desk_config_file is not None:
        read_config(Path(settings.desk_config_file))  # a bad schedule stops before anything starts

    async def main_loop() -> int:
        stop_event = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop_event.set)

        def on_lost() -> None:
            loop.call_later(LOST_GRACE_SECONDS, _exit_now, EXIT_LOST_LEADERSHIP)

        return await serve(settings, stop_event, on_lost=on_lost)

    try:
        return asyncio.run(main_loop())
    except (MissingTokenError, ConfigError, DeskConfigError, AlreadyRunning, InvalidToken):
        raise
    except Exception:
        # Through logging, so LOG_FORMAT=json stays JSON lines (and secrets redacted).
        log.exception("deskbot run failed")
        return 1


def _exit_now(code: int) -> None:
    """Exit without waiting for anything: work that outlived the grace period must not go on."""
    log.error("still stopping after %.0f s; exiting now", LOST_GRACE_SECONDS)
    logging.shutdown()
    os._exit(code)
