"""/gagal: the admins' view of what the bot could not handle and what it could not send.

An update whose handling failed three times is set aside by the inbox (`outbox.inbox`) so it
never holds up the others; calls Telegram refused for good, or that a crash cut off, are on
record in the outbox. This shows both, newest first, without the people's message texts.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from domain.outbox import OutStatus
from domain.people import Member
from domain.roles import Role
from domain.schedule import desk_time
from handlers.commands import CommandSpec, add_commands
from handlers.common import registered, reply
from handlers.context import DeskApplication, DeskContext
from storage import digest, inbox, outbox
from views.texts import text

SHOWN = 10


@registered(Role.ADMIN)
async def cmd_failures(update: Update, context: DeskContext, member: Member) -> None:
    """Show the updates set aside and the outbox's tally."""
    lang = member.language
    async with context.services.transaction() as session:
        count, aside = await inbox.set_aside(session, limit=SHOWN)
        tally = await outbox.counts(session)
        zone = (await digest.desk_setup(session)).zone
    lines = [text(lang, "inbox.title")]
    if count:
        lines.append(text(lang, "inbox.set_aside", count=count))
        for entry in aside:
            first_line = (entry.error.splitlines() or [""])[-1][:160]
            when = desk_time(entry.received_at, zone)
            lines.append(text(lang, "inbox.entry", id=entry.update_id, when=when, error=first_line))
    else:
        lines.append(text(lang, "inbox.none_set_aside"))
    lines.append(
        text(
            lang,
            "inbox.outbox",
            waiting=tally.get(OutStatus.PENDING.value, 0) + tally.get(OutStatus.SENDING.value, 0),
            sent=tally.get(OutStatus.SENT.value, 0),
            unreachable=tally.get(OutStatus.UNREACHABLE.value, 0),
            failed=tally.get(OutStatus.FAILED.value, 0),
            expired=tally.get(OutStatus.EXPIRED.value, 0),
            uncertain=tally.get(OutStatus.UNCERTAIN.value, 0),
        )
    )
    await reply(update, "\n".join(lines))


def register(app: DeskApplication) -> None:
    add_commands(app, CommandSpec("gagal", "inbox.cmd_gagal", roles=frozenset({Role.ADMIN})))
    app.add_handler(CommandHandler(["gagal", "failures"], cmd_failures))
