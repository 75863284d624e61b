"""/start with an invite code, role switches, and self-registration through /daftar."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from domain.invites import (
    ATTEMPT_WINDOW_MINUTES,
    MAX_FAILED_ATTEMPTS,
    InviteProblem,
    looks_like_code,
)
from domain.people import Member
from domain.roles import Role
from handlers.commands import CommandSpec, add_commands, publish_member_commands
from handlers.common import (
    answer_button,
    edit,
    edit_buttons,
    forget_member,
    is_private,
    lang_for,
    reply,
    scope_label,
    tell_unregistered,
)
from handlers.context import DeskApplication, DeskContext
from handlers.help import help_text
from handlers.menu import main_menu
from storage import people, phones
from storage.models import Invite
from views.keyboards import yes_no
from views.texts import language_of, role_name, text

log = logging.getLogger(__name__)


class StartOutcome(StrEnum):
    THROTTLED = "throttled"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ASK_SWITCH = "ask_switch"
    SAME = "same"
    REGISTERED = "registered"
    ALREADY = "already"  # their own invite, opened again


_PROBLEM_KEYS = {
    StartOutcome.UNKNOWN: "registration.invite_unknown",
    StartOutcome.USED: "registration.invite_used",
    StartOutcome.EXPIRED: "registration.invite_expired",
}


async def cmd_start(update: Update, context: DeskContext) -> None:
    """Greet a known person, redeem an invite code, or tell a stranger how to register."""
    user = update.effective_user
    if user is None or not is_private(update):
        return
    code = context.args[0] if context.args else ""
    if not code:
        async with context.services.transaction() as session:
            member = await people.member_by_telegram_id(session, user.id)
        if member is None:
            await tell_unregistered(update)
        else:
            await reply(
                update,
                await help_text(context, member, member.language),
                reply_markup=main_menu(context.services, member.role, member.language),
            )
        return
    outcome, member, invite = await _redeem(context, update, code)
    lang = member.language if member else language_of(user.language_code)
    if outcome is StartOutcome.THROTTLED:
        await reply(update, text(lang, "registration.throttled", minutes=ATTEMPT_WINDOW_MINUTES))
    elif outcome in _PROBLEM_KEYS:
        await reply(update, text(lang, _PROBLEM_KEYS[outcome]))
    elif outcome is StartOutcome.ALREADY and member is not None:
        scope = await scope_label(context, member.scope, lang)
        role = role_name(lang, member.role)
        await reply(
            update,
            text(lang, "registration.daftar_registered", role=role, scope=scope),
            reply_markup=main_menu(context.services, member.role, lang),
        )
    elif outcome is StartOutcome.ASK_SWITCH and member is not None and invite is not None:
        await _ask_switch(update, context, member, invite)
    elif member is not None:
        await _welcome(update, context, member)


async def _redeem(
    context: DeskContext, update: Update, code: str
) -> tuple[StartOutcome, Member | None, Invite | None]:
    user = update.effective_user
    assert user is not None
    now = context.now()
    async with context.services.transaction() as session:
        member = await people.member_by_telegram_id(session, user.id)
        window_start = now - timedelta(minutes=ATTEMPT_WINDOW_MINUTES)
        if (
            await people.failed_attempts_since(session, user.id, window_start)
            >= MAX_FAILED_ATTEMPTS
        ):
            return StartOutcome.THROTTLED, member, None
        invite: Invite | None = None
        problem: InviteProblem | None = InviteProblem.UNKNOWN
        if looks_like_code(code):
            invite, problem = await people.find_invite(session, code, now)
        if (
            problem is InviteProblem.USED
            and invite is not None
            and member is not None
            and invite.used_by == member.id
        ):
            return StartOutcome.ALREADY, member, invite  # officers tap old links all the time
        if problem is not None or invite is None:
            await people.record_failed_attempt(session, user.id, now)
            log.info("invite refused for user %s: %s", user.id, problem)
            return StartOutcome(problem.value if problem else "unknown"), member, None
        if member is not None:
            if (member.role.value, member.scope) == (invite.role, invite.scope_code):
                return StartOutcome.SAME, member, invite
            invite.offered_to = user.id
            return StartOutcome.ASK_SWITCH, member, invite
        member = await _bind(session, update, invite, now=now, action="invite_redeemed")
        return StartOutcome.REGISTERED, member, invite


async def _bind(
    session: AsyncSession, update: Update, invite: Invite, *, now: datetime, action: str
) -> Member:
    user = update.effective_user
    assert user is not None
    existing = await people.member_by_telegram_id(session, user.id)
    lang = existing.language if existing else language_of(user.language_code)
    member = await people.upsert_member(
        session,
        telegram_id=user.id,
        name=user.full_name[:200],
        username=user.username,
        role=Role(invite.role),
        scope=invite.scope_code,
        language=lang,
        now=now,
        bot_id=update.get_bot().id,  # Telegram lets only the bot they started write to them
    )
    forget_member()  # read again once this commits
    if not await people.mark_invite_used(session, invite.id, member.id, now):
        raise InviteRaceError
    member = await phones.holder_phone(session, invite, member)  # the invite CSV's number
    await people.clear_attempts(session, user.id)
    await people.audit(
        session,
        actor_id=member.id,
        actor_label=f"telegram:{user.id}",
        action=action,
        now=now,
        detail={
            "invite_id": invite.id,
            "role": invite.role,
            "scope": invite.scope_code,
            "previous": [existing.role.value, existing.scope] if existing else None,
            "bot": update.get_bot().username,  # the desk's bot they are bound to now
        },
    )
    return member


class InviteRaceError(RuntimeError):
    """Two people redeemed the same invite at once; the transaction is rolled back."""


async def _ask_switch(update: Update, context: DeskContext, member: Member, invite: Invite) -> None:
    lang = member.language
    new_role = Role(invite.role)
    body = text(
        lang,
        "registration.switch_question",
        current_role=role_name(lang, member.role),
        current_scope=await scope_label(context, member.scope, lang),
        new_role=role_name(lang, new_role),
        new_scope=await scope_label(context, invite.scope_code, lang),
    )
    markup = yes_no(
        text(lang, "registration.switch_yes"),
        f"inv:y:{invite.id}",
        text(lang, "registration.switch_no"),
        f"inv:n:{invite.id}",
    )
    await reply(update, body, reply_markup=markup)


async def _welcome(update: Update, context: DeskContext, member: Member) -> None:
    lang = member.language
    scope = await scope_label(context, member.scope, lang)
    greeting = text(
        lang,
        "registration.welcome",
        name=member.name,
        role=role_name(lang, member.role),
        scope=scope,
    )
    await reply(
        update,
        greeting + "\n\n" + await help_text(context, member, lang),
        reply_markup=main_menu(context.services, member.role, lang),
    )
    await publish_member_commands(
        context.bot, context.services, member.telegram_id, member.role, lang
    )


async def switch_answered(update: Update, context: DeskContext) -> None:
    """Switch to the offered invite's role, or keep the current one."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None or query.data is None:
        return
    _, answer, raw_id = query.data.split(":", 2)
    now = context.now()
    async with context.services.transaction() as session:
        member = await people.member_by_telegram_id(session, user.id)
        invite = await session.get(Invite, int(raw_id)) if raw_id.isdigit() else None
        lang = lang_for(update, member)
        if invite is None or invite.offered_to != user.id:
            outcome = "common.stale_button"
        elif answer == "n":
            invite.offered_to = None
            outcome = "registration.switch_kept"
        elif invite.used_at is not None:
            outcome = "registration.invite_used"
        elif invite.expires_at <= now:
            outcome = "registration.invite_expired"
        else:
            member = await _bind(session, update, invite, now=now, action="role_switched")
            outcome = ""
    await answer_button(update)
    if outcome:
        await edit(update, text(lang, outcome))
        return
    assert member is not None
    await edit_buttons(update, None)
    await _welcome(update, context, member)


def register(app: DeskApplication) -> None:
    add_commands(
        app, CommandSpec("daftar", "help.cmd_daftar", roles=frozenset(), unregistered=True)
    )
    app.add_handler(CommandHandler("start", cmd_start))
    app.add_handler(CallbackQueryHandler(switch_answered, pattern=r"^inv:[yn]:\d{1,12}$"))
