"""Admin work in chat: invites, and registering desk groups."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ChatMemberHandler, CommandHandler, TypeHandler

from domain.invites import deep_link
from domain.people import Member
from domain.regions import contains, parse_scope
from domain.roles import Role, ScopeError, ScopeProblem, check_scope, parse_role
from domain.schedule import desk_time
from handlers.commands import CommandSpec, add_commands
from handlers.common import is_private, registered, reply, scope_label
from handlers.context import DeskApplication, DeskContext
from handlers.group_notices import tell_admins_group_gone
from storage import desk_groups, digest, people, regions
from views.texts import role_name, text

log = logging.getLogger(__name__)

MAX_CHAT_INVITES = 20
# Who may invite whom from chat (admins anyone in their scope; the CLI has no limit).
_MAY_INVITE: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.COORDINATOR: frozenset({Role.TPS, Role.CAMAT, Role.COORDINATOR}),
    Role.CAMAT: frozenset({Role.TPS}),
}


@registered(Role.ADMIN, Role.COORDINATOR, Role.CAMAT)
async def cmd_invite(update: Update, context: DeskContext, member: Member) -> None:
    """Make invite links: /undang ROLE CODE [COUNT]."""
    lang = member.language
    args = context.args or []
    if len(args) not in (2, 3):
        await reply(update, text(lang, "admin.invite_usage", max=MAX_CHAT_INVITES))
        return
    role = parse_role(args[0])
    if role is None:
        await reply(update, text(lang, "admin.invite_bad_role", role=args[0]))
        return
    if role not in _MAY_INVITE.get(member.role, frozenset()):
        await reply(update, text(lang, "admin.invite_role_denied", role=role_name(lang, role)))
        return
    count_text = args[2] if len(args) == 3 else "1"
    if not count_text.isdigit() or not 1 <= int(count_text) <= MAX_CHAT_INVITES:
        await reply(update, text(lang, "admin.invite_bad_count", max=MAX_CHAT_INVITES))
        return
    scope = parse_scope(args[1])
    try:
        if scope is None:
            raise ScopeError(ScopeProblem.NOT_A_CODE, scope=args[1])
        check_scope(role, scope)
    except ScopeError as exc:
        await reply(update, scope_problem_text(lang, exc, typed=args[1]))
        return
    if not contains(member.scope, scope):
        await reply(update, text(lang, "admin.invite_outside", scope=args[1]))
        return
    now = context.now()
    async with context.services.transaction() as session:
        if await regions.region(session, scope) is None:
            found = False
        else:
            found = True
            codes, expires = await people.issue_invites(
                session,
                role=role,
                scope=scope,
                count=int(count_text),
                created_by=member.id,
                actor_label=f"telegram:{member.telegram_id}",
                now=now,
                ttl=timedelta(days=context.services.invite_ttl_days),
            )
        zone = (await digest.desk_setup(session)).zone
    if not found:
        await reply(update, text(lang, "admin.invite_unknown_region", scope=args[1]))
        return
    label = await scope_label(context, scope, lang)
    lines = [
        text(
            lang,
            "admin.invites_made",
            count=len(codes),
            role=role_name(lang, role),
            scope=label,
            expires=desk_time(expires, zone),
        )
    ]
    lines += [deep_link(context.services.bot_username_for(scope), c) for c in codes]
    await reply(update, "\n".join(lines))


def scope_problem_text(lang: str, error: ScopeError, *, typed: str) -> str:
    """Why a code does not fit a role, in the person's words (no English inside Indonesian)."""
    if error.problem is ScopeProblem.NOT_A_CODE:
        return text(lang, "admin.scope.not_a_code", scope=typed)
    role = error.values["role"]
    allowed = error.values["allowed"]
    return text(
        lang,
        "admin.scope.wrong_level",
        scope=typed,
        role=role_name(lang, role) if isinstance(role, Role) else str(role),
        level=text(lang, f"registration.level.{error.values['level']}"),
        allowed=text(lang, "admin.scope.or").join(
            text(lang, f"registration.level.{lv}")
            for lv in allowed  # type: ignore[attr-defined]
        ),
    )


_ALERT_ARGS = ("peringatan", "alerts", "alert")


@registered(Role.ADMIN)
async def cmd_register_group(update: Update, context: DeskContext, member: Member) -> None:
    """Register the group this is sent in as a desk group. In a forum topic it also points the
    group's digests and alerts at that topic; `/daftargrup peringatan` in a topic, its alerts
    only; in a forum's General, digests go back to General."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or is_private(update):
        await reply(update, text(member.language, "admin.group_only"))
        return
    topic = message.message_thread_id if message and message.is_topic_message else None
    args = list(context.args or [])
    alerts = bool(args) and args[0].lower() in _ALERT_ARGS
    async with context.services.transaction() as session:
        new = await desk_groups.register_group(
            session,
            chat_id=chat.id,
            title=chat.title or "",
            scope=member.scope,
            by=member.id,
            now=context.now(),
            bot_id=context.bot.id,
        )
        if chat.is_forum:
            await desk_groups.set_group_topic(session, chat.id, topic, alerts=alerts)
        if new or chat.is_forum:
            await people.audit(
                session,
                actor_id=member.id,
                actor_label=f"telegram:{member.telegram_id}",
                action="group_registered" if new else "group_topic",
                now=context.now(),
                detail={
                    "chat_id": chat.id,
                    "title": chat.title,
                    "topic": topic,
                    "alerts": alerts,
                    "bot": context.bot.username,  # the member bot that serves the group
                },
            )
    lang = member.language
    if new:
        label = await scope_label(context, member.scope, lang)
        await reply(update, text(lang, "admin.group_registered", scope=label))
    elif not chat.is_forum:
        await reply(update, text(lang, "admin.group_already"))
    if chat.is_forum:
        # No alert topic of its own (sent in General): alerts follow the digests.
        if alerts:
            key = "alerts" if topic is not None else "alerts_general"
        else:
            key = "digests" if topic is not None else "general"
        await reply(update, text(lang, f"admin.group_topic_{key}"))


@registered(Role.ADMIN)
async def cmd_unregister_group(update: Update, context: DeskContext, member: Member) -> None:
    """Stop sending to this group."""
    chat = update.effective_chat
    if chat is None or is_private(update):
        await reply(update, text(member.language, "admin.group_only"))
        return
    async with context.services.transaction() as session:
        done = await desk_groups.unregister_group(session, chat.id)
        if done:
            await people.audit(
                session,
                actor_id=member.id,
                actor_label=f"telegram:{member.telegram_id}",
                action="group_unregistered",
                now=context.now(),
                detail={"chat_id": chat.id},
            )
    key = "admin.group_unregistered" if done else "admin.group_not_registered"
    await reply(update, text(member.language, key))


_GROUP_COMMANDS = ("/daftargrup", "/hapusgrup")


async def silence_unregistered_groups(update: Update, context: DeskContext) -> None:
    """Drop everything from groups nobody registered, except the registration command."""
    chat = update.effective_chat
    if chat is None or is_private(update):
        return
    message = update.effective_message
    if message is not None and message.text:
        command = message.text.split()[0].split("@")[0].lower()
        if command in _GROUP_COMMANDS:
            return
    async with context.services.transaction() as session:
        if await desk_groups.is_desk_group(session, chat.id):
            return
    raise ApplicationHandlerStop


async def bot_membership_changed(update: Update, context: DeskContext) -> None:
    """When the bot leaves or is removed from a desk group, stop sending there."""
    change = update.my_chat_member
    if change is None or change.chat.type == "private":
        return
    if change.new_chat_member.status in ("left", "kicked"):
        async with context.services.transaction() as session:
            gone = await desk_groups.unregister_group(session, change.chat.id)
            if gone:
                await people.audit(
                    session,
                    actor_id=None,
                    actor_label=f"telegram:{change.from_user.id}",
                    action="group_removed",
                    now=context.now(),
                    detail={"chat_id": change.chat.id},
                )
        log.info("bot removed from group %s", change.chat.id)
        if gone:
            await tell_admins_group_gone(context.services, change.chat.id, why=None)


def register(app: DeskApplication) -> None:
    add_commands(
        app,
        CommandSpec(
            "undang",
            "admin.cmd_undang",
            roles=frozenset({Role.ADMIN, Role.COORDINATOR, Role.CAMAT}),
        ),
        CommandSpec("daftargrup", "admin.cmd_daftargrup", roles=frozenset({Role.ADMIN})),
        CommandSpec("hapusgrup", "admin.cmd_hapusgrup", roles=frozenset({Role.ADMIN})),
    )
    app.add_handler(
        ChatMemberHandler(bot_membership_changed, ChatMemberHandler.MY_CHAT_MEMBER), group=-20
    )
    app.add_handler(TypeHandler(Update, silence_unregistered_groups), group=-10)
    app.add_handler(CommandHandler(["undang", "invite"], cmd_invite))
    app.add_handler(CommandHandler("daftargrup", cmd_register_group))
    app.add_handler(CommandHandler("hapusgrup", cmd_unregister_group))
