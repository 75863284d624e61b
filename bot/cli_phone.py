"""`deskbot people set-phone`: the phone number a registered person texts reports from."""

from __future__ import annotations

import argparse
import sys

from bot.config import Settings
from domain.phone import PhoneError, normalise_phone
from services import utc_now
from storage import people
from storage import sms as sms_repo
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade


def add_action(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `set-phone` to the `people` command's actions."""
    phone = actions.add_parser(
        "set-phone",
        help="give a person the phone number they text reports from",
        description="Set (or with --clear remove) the phone number of the person with this "
        "Telegram id. 0812..., 62812... and +62812... are the same number; it is stored as "
        "+62812.... A number belongs to one person at a time.",
    )
    phone.add_argument(
        "telegram_id", type=int, metavar="TELEGRAM_ID", help="the person's Telegram user id"
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
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine)() as session, session.begin():
            try:
                member = await sms_repo.set_phone(session, args.telegram_id, phone)
            except sms_repo.PhoneTaken as exc:
                print(f"PHONE: {exc}", file=sys.stderr)
                return 2
            if member is None:
                print(f"nobody is registered with Telegram id {args.telegram_id}", file=sys.stderr)
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
