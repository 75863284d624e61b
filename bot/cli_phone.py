"""`deskbot people set-phone`: the phone number a registered person texts reports from."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from domain.clock import utc_now
from domain.phone import PhoneError, normalise_phone
from storage import people
from storage import sms as sms_repo
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.phones import PhoneRow, PhonesRefused, apply_phones


def add_action(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `set-phone` to the `people` command's actions."""
    phone = actions.add_parser(
        "set-phone",
        help="give a person the phone number they text reports from",
        description="Set (or with --clear remove) the phone number of a person: the number "
        "`deskbot people list` shows (#12 or 12), or their Telegram id. 0812..., 62812... and "
        "+62812... are the same number; it is stored as +62812.... A number belongs to one "
        "person at a time.",
    )
    phone.add_argument(
        "person",
        metavar="PERSON",
        help="#NUMBER from `deskbot people list`, or the person's Telegram user id",
    )
    phone.add_argument(
        "phone", nargs="?", default=None, metavar="PHONE", help="e.g. 0812-3456-7890"
    )
    phone.add_argument("--clear", action="store_true", help="remove the person's number")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    """`deskbot people set-phone`: exit 0 done, 1 nobody with that id, 2 a bad argument."""
    if args.clear == (args.phone is not None):
        print("give either PHONE or --clear", file=sys.stderr)
        return 2
    try:
        phone = None if args.clear else normalise_phone(args.phone)
    except PhoneError as exc:
        print(f"PHONE: {exc}", file=sys.stderr)
        return 2
    raw = str(args.person).removeprefix("#")
    if not raw.isdigit():
        print("PERSON: a #NUMBER from `deskbot people list` or a Telegram id", file=sys.stderr)
        return 2
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine)() as session, session.begin():
            telegram_id = await _telegram_id(session, raw, by_number=args.person.startswith("#"))
            try:
                member = (
                    None
                    if telegram_id is None
                    else await sms_repo.set_phone(session, telegram_id, phone)
                )
            except sms_repo.PhoneTaken as exc:
                print(f"PHONE: {exc}", file=sys.stderr)
                return 2
            if member is None:
                print(f"nobody is registered as {args.person}", file=sys.stderr)
                return 1
            await people.audit(
                session,
                actor_id=None,
                actor_label="cli",
                action="set_phone",
                detail={"person": member.id, "phone": phone},
                now=utc_now(),
            )
    finally:
        await engine.dispose()
    shown = phone or "no number"
    print(f"{member.name} ({member.role.value} {member.scope}): {shown}")
    return 0


async def _telegram_id(session: AsyncSession, raw: str, *, by_number: bool) -> int | None:
    """The Telegram id of `#NUMBER` (by_number), or of a Telegram id, else of that number
    (Telegram ids are far above the numbers `people list` shows); None for nobody."""
    if not by_number and await people.member_by_telegram_id(session, int(raw)) is not None:
        return int(raw)
    found = await people.member_by_id(session, int(raw))
    return found.telegram_id if found is not None else None


def add_file_action(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `phones FILE.csv` to the `people` command's actions."""
    phones = actions.add_parser(
        "phones",
        help="give numbers from a CSV: the invite CSV with its phone column filled in",
        description="Read a CSV with a `phone` column and, on each line, whose number it is: "
        "an invite `link` (or `code`), as `deskbot invite --out FILE.csv` writes them, or a "
        "`telegram_id`. A used invite's holder gets the number now; an unused invite keeps it "
        "for whoever registers with it. Lines without a number are skipped. A file with any "
        "bad line changes nothing.",
        epilog="example: deskbot people phones kramatwatu.csv",
    )
    phones.add_argument("file", type=Path, metavar="FILE.csv")


def read_rows(path: Path) -> tuple[list[PhoneRow], list[str]]:
    """The file's lines with a number, and what is wrong with the others (in words)."""
    rows: list[PhoneRow] = []
    problems: list[str] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        names = set(reader.fieldnames or [])
        if "phone" not in names or not names & {"link", "code", "telegram_id"}:
            return [], ["the file needs a phone column and a link, code or telegram_id column"]
        for line, record in enumerate(reader, start=2):
            raw = (record.get("phone") or "").strip()
            if not raw:
                continue
            try:
                phone = normalise_phone(raw)
            except PhoneError as exc:
                problems.append(f"line {line}: {exc}")
                continue
            code = (record.get("code") or "").strip() or _code_of(record.get("link") or "")
            who = (record.get("telegram_id") or "").strip()
            if code:
                rows.append(PhoneRow(line, phone, code=code))
            elif who.isdigit():
                rows.append(PhoneRow(line, phone, telegram_id=int(who)))
            else:
                problems.append(f"line {line}: no invite link, code or telegram_id")
    return rows, problems


def _line_number(problem: str) -> int:
    head = problem.split(":")[0].removeprefix("line ")
    return int(head) if head.isdigit() else 0


def _code_of(link: str) -> str:
    return parse_qs(urlsplit(link.strip()).query).get("start", [""])[0]


async def run_file(settings: Settings, args: argparse.Namespace) -> int:
    """`deskbot people phones FILE.csv`: exit 0 done, 2 a bad file (nothing changed)."""
    try:
        rows, problems = read_rows(args.file)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 2
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine)() as session, session.begin():
            try:  # also with bad lines, to name every problem at once
                done = await apply_phones(session, rows, utc_now())
            except PhonesRefused as exc:
                problems = sorted(problems + exc.problems, key=_line_number)
            if problems:
                await session.rollback()
            else:
                await people.audit(
                    session,
                    actor_id=None,
                    actor_label="cli",
                    action="set_phones",
                    detail={"file": args.file.name, "people": len(done.people),
                            "waiting": done.waiting},
                    now=utc_now(),
                )  # fmt: skip
    finally:
        await engine.dispose()
    if problems:
        print(f"{args.file}: nothing changed; fix these lines and run again:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    print(
        f"{len(done.people)} number(s) given to registered people, {done.waiting} kept on "
        "unused invites for whoever registers with them"
    )
    return 0
