"""The command list per role, shown in /bantuan and registered with Telegram per chat."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError

from domain.roles import Role
from services import CommandSpec, DeskApplication, Services, services_of
from views.texts import LANGUAGES, text

__all__ = ["CommandSpec", "add_commands", "commands_for", "publish_member_commands"]

log = logging.getLogger(__name__)


def add_commands(app: DeskApplication, *specs: CommandSpec) -> None:
    """Features add their commands to the application's menu when they register."""
    commands = services_of(app).commands
    for spec in specs:
        if spec.name not in {s.name for s in commands}:
            commands.append(spec)


def commands_for(services: Services, role: Role | None) -> list[CommandSpec]:
    if role is None:
        return [s for s in services.commands if s.unregistered]
    return [s for s in services.commands if role in s.roles]


def bot_commands(services: Services, role: Role | None, lang: str) -> list[BotCommand]:
    return [
        BotCommand(s.name, text(lang, s.description_key)[:256])
        for s in commands_for(services, role)
    ]


async def publish_default_commands(bot: Bot, services: Services) -> None:
    """The menu strangers see; registered people get their own per chat."""
    for lang in LANGUAGES:
        code = "" if lang == "id" else lang
        await bot.set_my_commands(
            bot_commands(services, None, lang),
            scope=BotCommandScopeAllPrivateChats(),
            language_code=code or None,
        )


async def publish_member_commands(
    bot: Bot, services: Services, chat_id: int, role: Role, lang: str
) -> None:
    """Give one registered person the menu of their role, in their language."""
    try:
        await bot.set_my_commands(
            bot_commands(services, role, lang), scope=BotCommandScopeChat(chat_id)
        )
    except TelegramError:
        log.warning("could not set commands for chat %s", chat_id, exc_info=True)
