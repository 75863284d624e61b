"""What groups and phones send that is not a person typing to the bot: upgrades to a
supergroup, anonymous admins, channels, and messages through a Telegram Business account.

Registered before every feature (negative handler groups), so the features only ever see
people they can answer.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from sqlalchemy.exc import IntegrityError
from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from handlers.common import lang_for, reply
from handlers.context import DeskApplication, DeskContext
from storage import desk_groups
from views.texts import language_of, text

log = logging.getLogger(__name__)


async def group_upgraded(update: Update, context: DeskContext) -> None:
    """A basic group became a supergroup: Telegram posts `migrate_to_chat_id` in the old chat
    and `migrate_from_chat_id` in the new one (Bot API, Message). Whichever comes first moves
    the desk group, its topics and the calls still owed to it (audited); the other finds
    nothing left to move."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    # The two service messages come from different senders, so they are handled at once;
    # moving one after the other lets the second find nothing left to move.
    async with _upgrade_lock():
        try:
            async with context.services.transaction() as session:
                moved = await desk_groups.move_desk_group(session, old, new, now=context.now())
        except IntegrityError:  # moved meanwhile by the sender, on a refusal naming the new id
            moved = False
    if moved:
        log.warning("desk group %s moved to supergroup %s", old, new)
    raise ApplicationHandlerStop


_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _upgrade_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _LOCKS.get(loop)
    if lock is None:
        lock = _LOCKS[loop] = asyncio.Lock()
    return lock


def _is_command_for_us(update: Update, bot_username: str) -> bool:
    message = update.effective_message
    if message is None or not message.text or not message.text.startswith("/"):
        return False
    head = message.text.split()[0]
    _, _, target = head.partition("@")
    return not target or target.lower() == bot_username.lower()


async def sent_as_chat(update: Update, context: DeskContext) -> None:
    """A group message signed by a chat, not a person: an anonymous admin (`sender_chat` is the
    group itself) or a channel (a linked channel's automatic forward, or someone posting as
    their channel). Telegram does not say who is behind it, so no role can be checked: a
    command addressed to the bot is told to turn anonymity off; anything else is left alone."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or message.sender_chat is None:
        return
    if chat.type == ChatType.PRIVATE or chat.type == ChatType.CHANNEL:
        return
    anonymous_admin = message.sender_chat.id == chat.id
    if anonymous_admin and _is_command_for_us(update, context.bot.username):
        user = update.effective_user
        lang = language_of(user.language_code if user else None)
        await reply(update, text(lang, "admin.group_anonymous"))
    raise ApplicationHandlerStop


async def business_message(update: Update, context: DeskContext) -> None:
    """A message in a chat of a Telegram Business account that connected the bot: the bot
    files nothing there. A customer writing to the account is answered once, through the
    connection (`business_connection_id`: Telegram refuses a plain answer, "chat not found");
    the account owner's own messages are left alone."""
    message = update.business_message or update.edited_business_message
    if message is None:
        return
    if update.business_message is not None and message.from_user is not None:
        try:
            connection = await context.bot.get_business_connection(
                message.business_connection_id or ""
            )
        except TelegramError as exc:
            log.info("business connection unknown: %s", exc)
            raise ApplicationHandlerStop from None
        if connection.user.id != message.from_user.id and connection.is_enabled:
            await reply(update, text(lang_for(update, None), "common.business_unsupported"))
    raise ApplicationHandlerStop


def register(app: DeskApplication) -> None:
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, group_upgraded), group=-40)
    app.add_handler(
        MessageHandler(filters.SenderChat.ALL & ~filters.ChatType.PRIVATE, sent_as_chat),
        group=-35,
    )
    app.add_handler(
        MessageHandler(filters.UpdateType.BUSINESS_MESSAGES, business_message), group=-30
    )
