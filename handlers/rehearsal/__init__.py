"""Rehearsals (simulasi): admins practise the day with the real people and the real bot."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler

from domain.roles import Role
from handlers.commands import CommandSpec, add_commands
from handlers.context import DeskApplication


def register(app: DeskApplication) -> None:
    from handlers.rehearsal import commands

    add_commands(
        app, CommandSpec("simulasi", "rehearsal.cmd_simulasi", roles=frozenset({Role.ADMIN}))
    )
    app.add_handler(CommandHandler(["simulasi", "rehearsal"], commands.cmd_simulasi))
    app.add_handler(CallbackQueryHandler(commands.delete_chosen, pattern=r"^sim:"))
