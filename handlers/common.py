"""Shared handler plumbing: who is writing, in which language, and the role gate."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden

from domain.people import Member
from domain.regions import Level
from domain.roles import Role
from handlers.context import DeskContext
from handlers.texts import language_of, text
from storage import people, regions

log = logging.getLogger(__name__)

MemberHandler = Callable[[Update, DeskContext, Member], Coroutine[Any, Any, Any]]
HandlerCallback = Callable[[Update, DeskContext], Coroutine[Any, Any, Any]]


def lang_for(update: Update, member: Member | None) -> str:
    if member is not None:
        return member.language
    user = update.effective_user
    return language_of(user.language_code if user else None)


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def reply(update: Update, body: str, **kwargs: Any) -> None:
    """Answer in the chat the update came from, as HTML."""
    chat = update.effective_chat
    if chat is None:
        return
    await chat.send_message(body, parse_mode=ParseMode.HTML, **kwargs)


async def current_member(context: DeskContext, update: Update) -> Member | None:
    user = update.effective_user
    if user is None:
        return None
    async with context.services.transaction() as session:
        return await people.member_by_telegram_id(session, user.id)


def registered(*roles: Role) -> Callable[[MemberHandler], HandlerCallback]:
    """Run the handler only for registered people (of these roles, if given)."""

    def decorate(handler: MemberHandler) -> HandlerCallback:
        @functools.wraps(handler)
        async def wrapper(update: Update, context: DeskContext) -> Any:
            member = await current_member(context, update)
            if member is None:
                if is_private(update):
                    await tell_unregistered(update)
                return None
            if roles and member.role not in roles:
                await answer_or_reply(update, text(member.language, "common.not_allowed"))
                return None
            return await handler(update, context, member)

        return wrapper

    return decorate


async def tell_unregistered(update: Update) -> None:
    user = update.effective_user
    lang = language_of(user.language_code if user else None)
    await answer_or_reply(update, text(lang, "common.not_registered"))


async def answer_or_reply(update: Update, body: str) -> None:
    """For a button press, answer the callback (and the chat); otherwise reply."""
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except BadRequest:
            log.debug("callback query too old to answer")
    await reply(update, body)


async def scope_label(context: DeskContext, code: str, lang: str) -> str:
    """A human name for a scope: 'TPS 003 Sukamaju', 'Kec. Cibeber', 'Indonesia'."""
    async with context.services.transaction() as session:
        found = await regions.region(session, code)
    if found is None:
        return code
    if found.level is Level.TPS:
        return f"{found.name} ({code})"
    return found.name


def role_name(lang: str, role: Role) -> str:
    return text(lang, f"common.role.{role.value}")


async def safe_send(context: DeskContext, chat_id: int, body: str, **kwargs: Any) -> bool:
    """Send to someone who may have blocked the bot; mark them unreachable if so."""
    try:
        await context.bot.send_message(chat_id, body, parse_mode=ParseMode.HTML, **kwargs)
    except BadRequest as exc:
        if "chat not found" not in exc.message.lower():
            raise
        log.info("chat %s not found; marking unreachable", chat_id)
        async with context.services.transaction() as session:
            await people.set_reachable(session, chat_id, False, context.now())
        return False
    except Forbidden:
        async with context.services.transaction() as session:
            await people.set_reachable(session, chat_id, False, context.now())
        return False
    return True
