"""/bantuan, /help, /bahasa: what this person can do, in their language."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from domain.people import Member
from handlers.commands import CommandSpec, add_commands, commands_for, publish_member_commands
from handlers.common import (
    answer_button,
    current_member,
    edit,
    is_private,
    lang_for,
    private_only,
    remember_member,
    reply,
    scope_label,
)
from handlers.context import DeskApplication, DeskContext
from handlers.menu import main_menu
from storage import people
from views.keyboards import languages
from views.texts import role_name, text


async def help_text(context: DeskContext, member: Member | None, lang: str) -> str:
    """The command list for this person's role (or for strangers)."""
    if member is None:
        lines = [text(lang, "help.unregistered_header"), text(lang, "common.not_registered"), ""]
    else:
        scope = await scope_label(context, member.scope, lang)
        lines = [
            text(
                lang,
                "help.header",
                name=member.name,
                role=role_name(lang, member.role),
                scope=scope,
            )
        ]
    for spec in commands_for(context.services, member.role if member else None):
        lines.append(f"/{spec.name} — {text(lang, spec.description_key)}")
    lines.append("")
    lines.append(text(lang, "help.footer"))
    return "\n".join(lines)


async def cmd_help(update: Update, context: DeskContext) -> None:
    """List what this person can do."""
    if not is_private(update):
        await private_only(update, context)
        return
    member = await current_member(context, update)
    lang = lang_for(update, member)
    markup = main_menu(context.services, member.role, lang) if member is not None else None
    await reply(update, await help_text(context, member, lang), reply_markup=markup)
    if member is not None:
        # Menus set at registration go stale when features change; refresh on request.
        await publish_member_commands(
            context.bot, context.services, member.telegram_id, member.role, lang
        )


async def cmd_language(update: Update, context: DeskContext) -> None:
    """Offer the two languages."""
    if not is_private(update):
        await private_only(update, context)
        return
    await reply(update, text("id", "help.language_pick"), reply_markup=languages())


async def language_chosen(update: Update, context: DeskContext) -> None:
    """Store the chosen language and answer in it."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    lang = "en" if query.data == "lang:en" else "id"
    async with context.services.transaction() as session:
        await people.set_language(session, user.id, lang)
        member = await people.member_by_telegram_id(session, user.id)
    remember_member(user.id, member)
    await answer_button(update)
    await edit(update, text(lang, "help.language_set"))
    if member is not None:
        await publish_member_commands(context.bot, context.services, user.id, member.role, lang)


def register(app: DeskApplication) -> None:
    add_commands(
        app,
        CommandSpec("start", "help.cmd_start", unregistered=True),
        CommandSpec("bantuan", "help.cmd_bantuan", unregistered=True),
        CommandSpec("bahasa", "help.cmd_bahasa", unregistered=True),
    )
    app.add_handler(CommandHandler(["bantuan", "help"], cmd_help))
    app.add_handler(CommandHandler(["bahasa", "language"], cmd_language))
    app.add_handler(CallbackQueryHandler(language_chosen, pattern=r"^lang:(id|en)$"))
