"""A desk with several bots: a registered person writing to a bot that is not theirs is told,
in their language, which bot is theirs (Telegram lets only the bot they started write to them,
so their reminders and answers come from that one).

Left alone: /start with an invite (redeeming it binds them to this bot), group chats (a desk
group is served by its member bot), and strangers (nobody's bot yet).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from handlers.common import answer_button, current_member, is_private, reply
from services import DeskApplication, DeskContext
from views.texts import text


async def sent_to_own_bot(update: Update, context: DeskContext) -> None:
    """Stop an update a person sent to another of the desk's bots, with the name of theirs."""
    desk = context.services.desk
    if not desk.several or update.effective_user is None or not is_private(update):
        return
    message = update.effective_message
    if message is not None and (message.text or "").startswith("/start "):
        return
    member = await current_member(context, update)
    if member is None or desk.owner(member.bot_id) == context.bot.id:
        return
    theirs = desk.get(member.bot_id).username
    if update.callback_query is not None:
        await answer_button(update)
    await reply(update, text(member.language, "common.other_bot", bot=theirs))
    raise ApplicationHandlerStop


def register(app: DeskApplication) -> None:
    """Before every feature (after the update is counted)."""
    app.add_handler(TypeHandler(Update, sent_to_own_bot), group=-999)
