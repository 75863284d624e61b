"""What is left: strangers are told how to register, the rest how to get help; errors."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers.common import (
    answer_button,
    command_name,
    current_member,
    lang_for,
    private_only,
    reply,
    tell_unregistered,
)
from handlers.context import DeskApplication, DeskContext
from outbox import inbox
from outbox.inbox import UpdateScope
from views.texts import text

log = logging.getLogger(__name__)


async def anything_else(update: Update, context: DeskContext) -> None:
    """Answer a message no feature claimed."""
    member = await current_member(context, update)
    if member is None:
        await tell_unregistered(update)
        return
    await reply(update, text(member.language, "common.unknown_text"))


def group_command_handler(app: DeskApplication) -> MessageHandler[DeskContext, None]:
    """Commands of this bot that work only in private chats (filing, /titip, /nomorhp...),
    typed in a group: no feature takes them there, so the person is told where they work."""
    ours: set[str] = set()
    for handler in app.handlers.get(0, []):
        if isinstance(handler, CommandHandler):
            ours |= set(handler.commands)

    async def elsewhere(update: Update, context: DeskContext) -> None:
        if command_name(update, context.bot.username) in ours:
            await private_only(update, context)

    return MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, elsewhere)


async def stale_button(update: Update, context: DeskContext) -> None:
    """A button whose data no handler knows: old, forged or from an earlier version."""
    query = update.callback_query
    if query is None:
        return
    member = await current_member(context, update)
    await answer_button(update, text(lang_for(update, member), "common.stale_button"))


async def on_error(update: object, context: DeskContext) -> None:
    """Log the failure and note it on the update being handled: the update processor tries it
    again, and after the last try `apologise` tells the person."""
    log.warning("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
    scope = inbox.current()
    if scope is not None and context.error is not None:
        scope.error = context.error


async def apologise(update: Update, scope: UpdateScope) -> None:
    """Tell the person, without details, that their message could not be handled, truthfully:
    if something of theirs was stored, they are told it is stored, never to send it again."""
    if update.effective_chat is None or update.effective_chat.type != "private":
        return
    lang = lang_for(update, None)
    key = "common.error_stored" if scope.stored else "common.error"
    try:
        await answer_button(update, text(lang, key), alert=True)
        if update.callback_query is None:
            await reply(update, text(lang, key))
    except Exception:
        log.warning("could not report the error to chat %s", update.effective_chat.id)


def register(app: DeskApplication) -> None:
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, anything_else)
    )
    app.add_handler(group_command_handler(app))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_error_handler(on_error)
