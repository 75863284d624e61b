"""What is left: strangers are told how to register, the rest how to get help; errors."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from handlers.common import current_member, lang_for, reply, tell_unregistered
from handlers.context import DeskApplication, DeskContext
from handlers.texts import text

log = logging.getLogger(__name__)


async def anything_else(update: Update, context: DeskContext) -> None:
    """Answer a message no feature claimed."""
    member = await current_member(context, update)
    if member is None:
        await tell_unregistered(update)
        return
    await reply(update, text(member.language, "common.unknown_text"))


async def stale_button(update: Update, context: DeskContext) -> None:
    """A button whose data no handler knows: old, forged or from an earlier version."""
    query = update.callback_query
    if query is None:
        return
    member = await current_member(context, update)
    await query.answer(text(lang_for(update, member), "common.stale_button"))


async def on_error(update: object, context: DeskContext) -> None:
    """Log the failure and tell the person, without details, that it did not work."""
    log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    try:
        lang = lang_for(update, None)
        if update.callback_query is not None:
            await update.callback_query.answer(text(lang, "common.error"), show_alert=True)
        else:
            await reply(update, text(lang, "common.error"))
    except Exception:
        log.warning("could not report the error to chat %s", update.effective_chat.id)


def register(app: DeskApplication) -> None:
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, anything_else)
    )
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_error_handler(on_error)
