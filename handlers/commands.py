"""The command list per role, shown in /bantuan and registered with Telegram per chat."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError

from domain.roles import Role
from views.texts import LANGUAGES, text

log = logging.getLogger(__name__)

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    description_key: str
    roles: frozenset[Role] = ALL_ROLES
    unregistered: bool = False


_REGISTRY: list[CommandSpec] = []


def add_commands(*specs: CommandSpec) -> None:
    """Features add their commands here at registration time (idempotent)."""
    for spec in specs:
        if spec.name not in {s.name for s in _REGISTRY}:
            _REGISTRY.append(spec)


def commands_for(role: Role | None) -> list[CommandSpec]:
    if role is None:
        return [s for s in _REGISTRY if s.unregistered]
    return [s for s in _REGISTRY if role in s.roles]


def bot_commands(role: Role | None, lang: str) -> list[BotCommand]:
    return [BotCommand(s.name, text(lang, s.description_key)[:256]) for s in commands_for(role)]


async def publish_default_commands(bot: Bot) -> None:
    """The menu strangers see; registered people get their own per chat."""
    for lang in LANGUAGES:
        code = "" if lang == "id" else lang
        await bot.set_my_commands(
            bot_commands(None, lang),
            scope=BotCommandScopeAllPrivateChats(),
            language_code=code or None,
        )


async def publish_member_commands(bot: Bot, chat_id: int, role: Role, lang: str) -> None:
    """Give one registered person the menu of their role, in their language."""
    try:
        await bot.set_my_commands(bot_commands(role, lang), scope=BotCommandScopeChat(chat_id))
    except TelegramError:
        log.warning("could not set commands for chat %s", chat_id, exc_info=True)
