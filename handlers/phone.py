"""Sharing one's own phone number for SMS filing, from Telegram.

`/nomorhp` (also `/phone`) shows a keyboard button that shares the person's own Telegram
contact (`KeyboardButton(request_contact=True)`, Bot API: "the user's phone number will be
sent as a contact"). Only a contact whose `user_id` is the sender's own is taken (a forwarded
card of someone else is not); it is stored as E.164 (`domain.phone`), one person per number.
Admins can set numbers too: `deskbot people set-phone`.
"""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.ext import CommandHandler, MessageHandler, filters

from domain.checkins.scope import FILERS
from domain.people import Member
from domain.phone import try_normalise
from handlers.commands import CommandSpec, add_commands
from handlers.common import registered, reply
from handlers.context import DeskApplication, DeskContext
from handlers.menu import main_menu
from storage import people
from storage import sms as sms_repo
from views.texts import text


@registered(*FILERS)
async def cmd_phone(update: Update, context: DeskContext, member: Member) -> None:
    """Show the number on record and a button to share this phone's number."""
    lang = member.language
    button = KeyboardButton(text(lang, "phone.share_button"), request_contact=True)
    keyboard = ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
    current = member.phone or text(lang, "phone.none")
    await reply(update, text(lang, "phone.ask", current=current), reply_markup=keyboard)


@registered(*FILERS)
async def contact_shared(update: Update, context: DeskContext, member: Member) -> None:
    """Store the sender's own shared number; refuse someone else's card."""
    message, user, lang = update.message, update.effective_user, member.language
    contact = message.contact if message else None
    if contact is None or user is None:
        return
    menu = main_menu(context.services, member.role, lang)
    if contact.user_id != user.id:
        await reply(update, text(lang, "phone.not_yours"), reply_markup=menu)
        return
    phone = try_normalise(contact.phone_number)
    if phone is None:
        await reply(update, text(lang, "phone.invalid"), reply_markup=menu)
        return
    async with context.services.transaction() as session:
        try:
            await sms_repo.set_phone(session, user.id, phone)
        except sms_repo.PhoneTaken:
            key = "phone.taken"
        else:
            key = "phone.saved"
            await people.audit(
                session,
                actor_id=member.id,
                actor_label=f"telegram:{user.id}",
                action="set_phone",
                detail={"person": member.id, "phone": phone},
                now=context.now(),
            )
    await reply(update, text(lang, key, phone=phone), reply_markup=menu)


def register(app: DeskApplication) -> None:
    add_commands(app, CommandSpec("nomorhp", "phone.cmd_nomorhp", roles=frozenset(FILERS)))
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler(["nomorhp", "phone"], cmd_phone, filters=private))
    app.add_handler(MessageHandler(filters.CONTACT & private, contact_shared))
