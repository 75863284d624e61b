"""People management in chat, for admins and coordinators within their region.

- `/orang [KODE]`: who is registered inside a region or TPS (default: the asker's own);
- `/cabut NOMOR`: revoke a person (the number `/orang` shows): no access from their next
  message on; their check-ins stay theirs;
- `/serahkan ID-TPS`: hand a TPS to a new officer: its officer is revoked and one new invite
  link is made for the successor.

Every change is audited (`storage.staff`). Nobody revokes themselves, and a coordinator never
an admin.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import CommandHandler

from domain.invites import deep_link
from domain.people import Member
from domain.regions import Level, contains, level_of, parse_scope
from domain.roles import Role, can_manage_people
from domain.schedule import desk_date, desk_time
from handlers.commands import CommandSpec, add_commands
from handlers.common import registered, reply, scope_label
from handlers.context import DeskApplication, DeskContext
from storage import digest, regions, staff
from views.texts import role_name, text

MANAGERS = (Role.ADMIN, Role.COORDINATOR)
MAX_LISTED = 50


@registered(*MANAGERS)
async def cmd_people(update: Update, context: DeskContext, member: Member) -> None:
    """List who is registered in a place: /orang [KODE]."""
    lang = member.language
    args = context.args or []
    scope = parse_scope(args[0]) if args else member.scope
    if scope is None:
        await reply(update, text(lang, "people.usage"))
        return
    if not can_manage_people(member.role, member.scope, scope):
        await reply(update, text(lang, "people.outside", scope=args[0] if args else scope))
        return
    async with context.services.transaction() as session:
        known = await regions.region(session, scope)
        found = await staff.registered_in(session, scope) if known else []
        zone = (await digest.desk_setup(session)).zone
    if known is None:
        await reply(update, text(lang, "people.unknown", scope=args[0] if args else scope))
        return
    label = await scope_label(context, scope, lang)
    if not found:
        await reply(update, text(lang, "people.none", scope=label))
        return
    lines = [text(lang, "people.title", scope=label, count=len(found))]
    for person in found[:MAX_LISTED]:
        lines.append(
            text(
                lang,
                "people.line",
                number=person.id,
                name=person.name,
                username=f" @{person.username}" if person.username else "",
                role=role_name(lang, person.role),
                scope=person.scope or text(lang, "registration.level.nation"),
                since=desk_date(person.since, zone),
            )
        )
    if len(found) > MAX_LISTED:
        lines.append(text(lang, "people.more", count=len(found) - MAX_LISTED))
    lines.append(text(lang, "people.hint"))
    await reply(update, "\n".join(lines))


@registered(*MANAGERS)
async def cmd_revoke(update: Update, context: DeskContext, member: Member) -> None:
    """Revoke a person: /cabut NOMOR."""
    lang = member.language
    args = context.args or []
    if len(args) != 1 or not args[0].lstrip("#").isdigit():
        await reply(update, text(lang, "people.revoke_usage"))
        return
    number = int(args[0].lstrip("#"))
    async with context.services.transaction() as session:
        person = await staff.registered_person(session, number)
        refusal = _refusal(member, person)
        if person is not None and refusal is None:
            await staff.revoke(
                session,
                person.id,
                actor_id=member.id,
                actor_label=f"telegram:{member.telegram_id}",
                now=context.now(),
            )
    if person is None or refusal is not None:
        await reply(update, text(lang, refusal or "people.not_found", number=number))
        return
    await reply(
        update,
        text(
            lang,
            "people.revoked",
            number=person.id,
            name=person.name,
            role=role_name(lang, person.role),
        ),
    )


def _refusal(member: Member, person: staff.Registered | None) -> str | None:
    """The text key saying why `member` may not revoke `person`, or None if they may."""
    if person is None:
        return "people.not_found"
    if person.id == member.id:
        return "people.not_self"
    if not can_manage_people(member.role, member.scope, person.scope):
        return "people.not_found"  # outside the region: as if unknown
    if person.role is Role.ADMIN and member.role is not Role.ADMIN:
        return "people.not_admin"
    return None


@registered(*MANAGERS)
async def cmd_hand_over(update: Update, context: DeskContext, member: Member) -> None:
    """Hand a TPS to a new officer: /serahkan ID-TPS."""
    lang = member.language
    args = context.args or []
    tps = parse_scope(args[0]) if len(args) == 1 else None
    if tps is None or level_of(tps) is not Level.TPS:
        await reply(update, text(lang, "people.handover_usage"))
        return
    if not contains(member.scope, tps):
        await reply(update, text(lang, "people.outside", scope=tps))
        return
    async with context.services.transaction() as session:
        known = await regions.region(session, tps)
        done = (
            await staff.hand_over(
                session,
                tps,
                actor_id=member.id,
                actor_label=f"telegram:{member.telegram_id}",
                now=context.now(),
                ttl=timedelta(days=context.services.invite_ttl_days),
            )
            if known
            else None
        )
        zone = (await digest.desk_setup(session)).zone
    if done is None:
        await reply(update, text(lang, "people.unknown", scope=tps))
        return
    gone = ", ".join(p.name for p in done.revoked) or text(lang, "people.nobody")
    await reply(
        update,
        text(
            lang,
            "people.handed_over",
            tps=await scope_label(context, tps, lang),
            revoked=gone,
            expires=desk_time(done.expires_at, zone),
            link=deep_link(context.services.bot_username_for(tps), done.code),
        ),
    )


def register(app: DeskApplication) -> None:
    managers = frozenset(MANAGERS)
    add_commands(
        app,
        CommandSpec("orang", "people.cmd_orang", roles=managers),
        CommandSpec("cabut", "people.cmd_cabut", roles=managers),
        CommandSpec("serahkan", "people.cmd_serahkan", roles=managers),
    )
    app.add_handler(CommandHandler(["orang", "people"], cmd_people))
    app.add_handler(CommandHandler(["cabut", "revoke"], cmd_revoke))
    app.add_handler(CommandHandler(["serahkan", "handover"], cmd_hand_over))
