"""`deskbot people`: who is registered for a place, revoking a person, handing a TPS over.

The same storage functions as the chat commands (`/orang`, `/cabut`, `/serahkan`), audited
with the actor `cli`. A revoked person loses access at their next message; what they filed
stays theirs.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from bot import cli_phone
from bot.cli_tasks import CliError, bot_username, database, require_region, scope_arg
from bot.config import Settings
from domain.clock import utc_now
from domain.invites import deep_link
from domain.regions import Level, level_of
from storage import staff


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    people = sub.add_parser(
        "people",
        help="list, revoke and replace registered people; set their phone numbers",
        description="Who is registered for a place, revoke a person (they lose access at "
        "once; their check-ins stay theirs), or hand a TPS to a new officer (its officer "
        "is revoked and one new invite is made). Example: deskbot people list --scope 360405",
    )
    actions = people.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="who is registered inside a region or TPS")
    listing.add_argument("--scope", required=True, metavar="CODE", help="e.g. 360405")
    revoke = actions.add_parser("revoke", help="take a person's access away")
    revoke.add_argument("person", type=int, metavar="NUMBER", help="the # shown by `list`")
    hand = actions.add_parser("handover", help="hand a TPS to a new officer")
    hand.add_argument("tps", metavar="TPS", help="the TPS id, e.g. 3604052001-001")
    hand.add_argument("--bot-username", default=None, metavar="NAME")
    hand.add_argument("--days", type=int, default=None, help="days the new invite stays valid")
    cli_phone.add_action(actions)
    cli_phone.add_file_action(actions)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "list":
        return await _list(settings, args)
    if args.action == "revoke":
        return await _revoke(settings, args)
    if args.action == "set-phone":
        return await cli_phone.run(settings, args)
    if args.action == "phones":
        return await cli_phone.run_file(settings, args)
    return await _handover(settings, args)


async def _list(settings: Settings, args: argparse.Namespace) -> int:
    scope = scope_arg(args.scope)
    async with database(settings) as sessions, sessions() as session:
        await require_region(session, scope, args.scope)
        found = await staff.registered_in(session, scope)
    if not found:
        print(f"nobody is registered in {args.scope}")
    for person in found:
        handle = f" @{person.username}" if person.username else ""
        phone = f", SMS from {person.phone}" if person.phone else ""
        print(
            f"#{person.id}  {person.role.value:<11} {person.scope or 'all':<14} "
            f"{person.name}{handle}  (since {person.since:%Y-%m-%d}{phone})"
        )
    return 0


async def _revoke(settings: Settings, args: argparse.Namespace) -> int:
    async with database(settings) as sessions, sessions() as session, session.begin():
        person = await staff.registered_person(session, args.person)
        if person is None:
            raise CliError(f"#{args.person} is not a registered person (see deskbot people list)")
        await staff.revoke(session, person.id, actor_id=None, actor_label="cli", now=utc_now())
    print(f"revoked #{person.id} {person.name} ({person.role.value} {person.scope or 'all'})")
    return 0


async def _handover(settings: Settings, args: argparse.Namespace) -> int:
    tps = scope_arg(args.tps)
    if level_of(tps) is not Level.TPS:
        raise CliError(f"'{args.tps}' is not a TPS id (e.g. 3604052001-001)", 2)
    async with database(settings) as sessions:
        async with sessions() as session:
            await require_region(session, tps, args.tps)
        from bot.cli_bots import desk_directory

        desk = None if args.bot_username else await desk_directory(settings)
        username = (
            desk.for_scope(tps).username  # the bot serving the TPS: the new officer opens it
            if desk
            else args.bot_username or await bot_username(settings)
        )
        async with sessions() as session, session.begin():
            done = await staff.hand_over(
                session,
                tps,
                actor_id=None,
                actor_label="cli",
                now=utc_now(),
                ttl=timedelta(days=args.days or settings.invite_ttl_days),
            )
    for person in done.revoked:
        print(f"revoked #{person.id} {person.name}")
    print(f"invite for the new officer of {tps} (until {done.expires_at:%Y-%m-%d}):")
    print(deep_link(username, done.code))
    return 0
