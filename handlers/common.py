"""Shared handler plumbing: who is writing, in which language, and the role gate."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from domain.checkins.records import Draft
from domain.outbox import Priority
from domain.people import Member
from domain.regions import Level
from domain.roles import Role
from handlers.context import DeskContext
from outbox import inbox, messages
from outbox.inbox import UpdateScope
from outbox.messages import Markup
from outbox.sender import Result, Sender
from storage import conversations, people, regions
from views.texts import language_of, text

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


def _door() -> tuple[Sender, UpdateScope]:
    """The sender and the update being handled (set by the update processor)."""
    scope = inbox.current()
    if scope is None or scope.sender is None:
        raise RuntimeError("reply() outside update handling; use the sender directly")
    return scope.sender, scope


def answer_key() -> str | None:
    """A key for the next answer to the update being handled (None outside one): handling the
    update again queues nothing twice."""
    scope = inbox.current()
    return scope.answer_key() if scope is not None else None


def where(update: Update) -> dict[str, Any]:
    """Where an answer to this update goes: its chat, its forum topic, its business connection."""
    chat = update.effective_chat
    message = update.effective_message
    found: dict[str, Any] = {"chat_id": chat.id if chat else None}
    if message is not None and message.is_topic_message and message.message_thread_id:
        found["thread_id"] = message.message_thread_id
    if message is not None and message.business_connection_id:
        found["business_connection_id"] = message.business_connection_id
    return found


async def reply(update: Update, body: str, *, reply_markup: Markup = None) -> Result | None:
    """Answer in the chat (and topic) the update came from, through the sender: at once, and
    again later if Telegram refuses for a passing reason. None if there is no chat."""
    target = where(update)
    if target["chat_id"] is None:
        return None
    sender, scope = _door()
    results = await sender.send(
        *messages.text_message(
            target.pop("chat_id"), body, markup=reply_markup, key=scope.answer_key(), **target
        )
    )
    return results[-1] if results else None


async def reply_file(
    update: Update,
    kind: str,
    *,
    data: bytes,
    filename: str,
    caption: str = "",
    reply_markup: Markup = None,
) -> Result | None:
    """Answer with a photo or document (`kind` "photo" | "document") uploaded from `data`."""
    target = where(update)
    if target["chat_id"] is None:
        return None
    sender, scope = _door()
    calls = messages.file_message(
        target["chat_id"],
        kind,
        data=data,
        filename=filename,
        caption=caption,
        markup=reply_markup,
        key=scope.answer_key(),
        thread_id=target.get("thread_id"),
    )
    results = await sender.send(*calls)
    return results[0] if results else None


async def edit(
    update: Update, body: str, *, reply_markup: InlineKeyboardMarkup | None = None
) -> Result | None:
    """Edit the message whose button was pressed (an answer: at once, through the sender)."""
    query = update.callback_query
    message = query.message if query is not None else None
    if message is None:
        return await reply(update, body, reply_markup=reply_markup)
    sender, scope = _door()
    call = messages.edit_text(
        message.chat.id, message.message_id, body, markup=reply_markup, key=scope.answer_key()
    )
    results = await sender.send(call)
    return results[0] if results else None


async def edit_buttons(update: Update, reply_markup: InlineKeyboardMarkup | None) -> None:
    """Replace (None: remove) the buttons of the message whose button was pressed."""
    query = update.callback_query
    message = query.message if query is not None else None
    if message is None:
        return
    sender, scope = _door()
    await sender.send(
        messages.edit_markup(
            message.chat.id, message.message_id, reply_markup, key=scope.answer_key()
        )
    )


async def answer_button(update: Update, body: str | None = None, *, alert: bool = False) -> None:
    """Answer a button press (clients show a spinner until then). Not a chat message: it goes
    straight to Telegram; a press too old to answer is simply left. Telegram takes one answer
    per press: the first call answers, later ones do nothing; a press no handler answered is
    answered silently once its handling ends (`answer_unanswered`)."""
    query = update.callback_query
    if query is None:
        return
    scope = inbox.current()
    if scope is not None:
        if scope.button_answered:
            return
        scope.button_answered = True
    try:
        await query.answer(body, show_alert=alert)
    except TelegramError as exc:
        log.debug("could not answer callback query: %s", exc)


async def answer_unanswered(update: Update) -> None:
    """After an update is handled: answer its button press silently if nothing did (the edit
    or message that followed says enough)."""
    scope = inbox.current()
    if update.callback_query is not None and scope is not None and not scope.button_answered:
        await answer_button(update)


async def current_member(context: DeskContext, update: Update) -> Member | None:
    """The registered person who sent the update (None if unknown or revoked), read once per
    update: every handler the update passes through (presence, drafts, the feature) shares it.
    A handler that changes the sender's own record calls `forget_member` after committing."""
    user = update.effective_user
    if user is None:
        return None
    scope = inbox.current()
    if scope is not None and scope.member_of == user.id:
        return scope.member
    with_draft = scope is not None and is_private(update)
    draft: Draft | None = None
    async with context.services.glance() as session:
        if with_draft:  # most private messages go on to ask for the draft: read it with them
            member, draft = await conversations.member_and_draft(session, user.id)
        else:
            member = await people.member_by_telegram_id(session, user.id)
    remember_member(user.id, member)
    if scope is not None and with_draft and member is not None:
        scope.draft, scope.draft_of = draft, user.id
    return member


async def opening_draft(context: DeskContext, telegram_id: int) -> Draft | None:
    """This person's open draft as the update's handling begins: the one `current_member`
    read with them, handed out once; after that (a step may have changed it) read again."""
    scope = inbox.current()
    if scope is not None and scope.draft_of == telegram_id:
        draft, scope.draft, scope.draft_of = scope.draft, None, None
        return draft
    async with context.services.glance() as session:
        return await conversations.get(session, telegram_id)


def remember_member(telegram_id: int, member: Member | None) -> None:
    """Keep the sender's record for the rest of the update being handled (if one is)."""
    scope = inbox.current()
    if scope is not None:
        scope.member, scope.member_of = member, telegram_id


def forget_member() -> None:
    """The sender's record changed: read it again the next time it is asked for."""
    scope = inbox.current()
    if scope is not None:
        scope.member, scope.member_of = None, None


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


def command_name(update: Update, bot_username: str | None) -> str | None:
    """The command a message starts with, without its slash and `@bot`; None when it is not a
    command or is addressed to another bot."""
    message = update.effective_message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    name, _, target = message.text.split()[0][1:].partition("@")
    if target and (bot_username is None or target.lower() != bot_username.lower()):
        return None
    return name.lower() or None


async def private_only(update: Update, context: DeskContext) -> None:
    """A command that works only in a private chat, typed in a group: someone the bot knows is
    told where it works; anyone else gets silence (the bot does not talk to strangers in
    groups)."""
    command = command_name(update, context.bot.username)
    member = await current_member(context, update)
    if command is None or member is None:
        return
    await reply(update, text(member.language, "common.private_only", command=command))


async def tell_unregistered(update: Update) -> None:
    user = update.effective_user
    lang = language_of(user.language_code if user else None)
    await answer_or_reply(update, text(lang, "common.not_registered"))


async def answer_or_reply(update: Update, body: str) -> None:
    """For a button press, answer the callback (and the chat); otherwise reply."""
    await answer_button(update)
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


async def notify(
    context: DeskContext,
    chat_id: int,
    body: str,
    *,
    reply_markup: Markup = None,
    priority: Priority = Priority.ANSWER,
) -> None:
    """Tell someone other than the person whose update this is (an approver, a requester).

    Through the sender, keyed to this update: not an answer to what that chat sent, so it is
    paced as a proactive message; if they blocked the bot they are marked unreachable.
    """
    scope = inbox.current()
    key = scope.answer_key() if scope is not None else None
    await context.services.out.send(
        *messages.text_message(
            chat_id, body, markup=reply_markup, priority=priority, proactive=True, key=key
        ),
        wait=False,
    )
