"""The desk's commands: digests on request, missing lists, TPS history, exports, schedule."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler

from domain.roles import Role
from handlers.commands import CommandSpec, add_commands
from handlers.context import DeskApplication

DESK = frozenset({Role.COORDINATOR, Role.ADMIN, Role.CAMAT})
STAFF = frozenset({Role.COORDINATOR, Role.ADMIN})


def register(app: DeskApplication) -> None:
    from handlers.desk import commands, schedule

    add_commands(
        app,
        CommandSpec("rekap", "digest.cmd_rekap", roles=DESK),
        CommandSpec("belum", "digest.cmd_belum", roles=DESK),
        CommandSpec("tps", "digest.cmd_tps", roles=DESK),
        CommandSpec("ekspor", "digest.cmd_ekspor", roles=DESK),
        CommandSpec("tenggat", "digest.cmd_tenggat", roles=STAFF),
        CommandSpec("pengingat", "digest.cmd_pengingat", roles=frozenset({Role.ADMIN})),
        CommandSpec("jadwalrekap", "digest.cmd_jadwalrekap", roles=frozenset({Role.ADMIN})),
    )
    app.add_handler(CommandHandler(["rekap", "digest"], commands.cmd_rekap))
    app.add_handler(CommandHandler(["belum", "missing"], commands.cmd_belum))
    app.add_handler(CommandHandler("tps", commands.cmd_tps))
    app.add_handler(CommandHandler(["ekspor", "export"], commands.cmd_ekspor))
    app.add_handler(CallbackQueryHandler(commands.missing_page_chosen, pattern=r"^blm:"))
    app.add_handler(CommandHandler(["tenggat", "deadline"], schedule.cmd_tenggat))
    app.add_handler(CommandHandler(["pengingat", "reminders"], schedule.cmd_pengingat))
    app.add_handler(CommandHandler(["jadwalrekap", "digesttimes"], schedule.cmd_jadwalrekap))
