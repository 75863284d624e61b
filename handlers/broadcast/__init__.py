"""Broadcast instructions: compose and confirm, acknowledge, report and resend.

Delivery itself runs in the background (`reminders.broadcast`).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters

from domain.roles import Role
from handlers.broadcast import choose, compose, status
from handlers.commands import CommandSpec, add_commands
from handlers.context import DeskApplication

# Before the features in group 0: a draft waiting for its text takes the message (and stops
# it there); everything else passes untouched.
DRAFT_INPUT_GROUP = -2
# Right after the unregistered-group filter (-10) and before anything that may stop an update,
# so a person who comes back is seen whatever they send.
PRESENCE_GROUP = -9
ID = r"\d{1,12}"


def register(app: DeskApplication) -> None:
    senders = frozenset({Role.ADMIN, Role.COORDINATOR})
    add_commands(
        app,
        CommandSpec("siaran", "broadcast.cmd_siaran", roles=senders),
        CommandSpec("siaran_status", "broadcast.cmd_siaran_status", roles=senders),
    )
    app.add_handler(TypeHandler(Update, status.note_presence), group=PRESENCE_GROUP)
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & (filters.TEXT | filters.PHOTO | filters.Document.ALL),
            compose.draft_input,
        ),
        group=DRAFT_INPUT_GROUP,
    )
    app.add_handler(CommandHandler(["siaran", "broadcast"], compose.cmd_broadcast))
    app.add_handler(CommandHandler(["siaran_status", "broadcast_status"], status.cmd_status))
    callbacks = [
        (choose.audience_kind_chosen, rf"^bc:a:{ID}:(all|role|region|nf)$"),
        (choose.role_chosen, rf"^bc:r:{ID}:(tps|camat|coordinator|admin)$"),
        (choose.kind_chosen, rf"^bc:k:{ID}:(logistik|siap|banjir|sinyal|kejadian)$"),
        (choose.region_browsed, rf"^bc:g:{ID}:\d{{1,4}}:\d{{0,10}}$"),
        (choose.region_picked, rf"^bc:p:{ID}:\d{{2,10}}$"),
        (choose.change_chosen, rf"^bc:ch:{ID}$"),
        (choose.cancel_chosen, rf"^bc:x:{ID}$"),
        (choose.send_chosen, rf"^bc:ok:{ID}$"),
        (choose.send_paid_chosen, rf"^bc:pd:{ID}$"),
        (status.status_pressed, rf"^bc:st:{ID}$"),
        (status.resend_pressed, rf"^bc:rs:{ID}$"),
        (status.ack_pressed, rf"^ack:{ID}$"),
    ]
    for callback, pattern in callbacks:
        app.add_handler(CallbackQueryHandler(callback, pattern=pattern))
