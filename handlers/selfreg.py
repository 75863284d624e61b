"""/daftar: an officer picks regency, district, village and TPS; the camat approves."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from domain.regions import Level, level_of, parent_codes
from domain.roles import Role, can_approve_registration
from handlers.commands import publish_member_commands
from handlers.common import (
    answer_button,
    current_member,
    edit,
    is_private,
    lang_for,
    notify,
    private_only,
    reply,
    scope_label,
)
from handlers.context import DeskApplication, DeskContext
from handlers.menu import main_menu
from storage import people, regions
from views.keyboards import paged_choices, yes_no
from views.texts import role_name, text

log = logging.getLogger(__name__)


async def cmd_daftar(update: Update, context: DeskContext) -> None:
    """Start self-registration at the top region of this desk."""
    if not is_private(update):
        await private_only(update, context)
        return
    member = await current_member(context, update)
    lang = lang_for(update, member)
    if member is not None:
        scope = await scope_label(context, member.scope, lang)
        await reply(
            update,
            text(
                lang,
                "registration.daftar_registered",
                role=role_name(lang, member.role),
                scope=scope,
            ),
        )
        return
    code = await _top(context)
    if code is None:
        await reply(update, text(lang, "registration.daftar_no_data"))
        return
    body, markup = await _browse(context, lang, code, 0)
    await reply(update, body, reply_markup=markup)


async def _top(context: DeskContext) -> str | None:
    """Skip levels with a single choice (a province desk starts at its regencies)."""
    code = ""
    async with context.services.transaction() as session:
        while True:
            below = await regions.children(session, code)
            if not below:
                return None
            if len(below) > 1 or below[0].level is Level.VILLAGE:
                return code
            code = below[0].code


async def _browse(
    context: DeskContext, lang: str, code: str, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    async with context.services.transaction() as session:
        items = await regions.children(session, code)
    top = await _top(context)
    back = None
    if code != top and code:
        parents = parent_codes(code)
        back = f"dft:b:0:{parents[-1] if parents else ''}"
    child_level = items[0].level if items else Level.TPS
    pick_prefix = "dft:t:" if child_level is Level.TPS else "dft:b:0:"
    markup = paged_choices(
        lang,
        items,
        page=page,
        pick=lambda c: f"{pick_prefix}{c}",
        browse=lambda p: f"dft:b:{p}:{code}",
        back=back,
        columns=3 if child_level is Level.TPS else 2,
    )
    body = text(
        lang,
        "registration.daftar_pick",
        level=text(lang, f"registration.level.{child_level.value}"),
    )
    return body, markup


async def daftar_browse(update: Update, context: DeskContext) -> None:
    """Show the regions (or TPS) under the chosen region."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    member = await current_member(context, update)
    lang = lang_for(update, member)
    _, _, page, code = query.data.split(":", 3)
    level = level_of(code)
    if member is not None or level is None or level in (Level.TPS,):
        await answer_button(update, text(lang, "common.stale_button"))
        return
    body, markup = await _browse(context, lang, code, int(page))
    await answer_button(update)
    await edit(update, body, reply_markup=markup)


async def _tps_details(context: DeskContext, tps_id: str) -> dict[str, str] | None:
    async with context.services.transaction() as session:
        tps = await regions.region(session, tps_id)
        if tps is None:
            return None
        village = await regions.region(session, tps_id[:10])
        district = await regions.region(session, tps_id[:6])
        regency = await regions.region(session, tps_id[:4])
    return {
        "tps": f"TPS {tps_id[-3:]} ({tps_id})",
        "village": village.name if village else "",
        "district": district.name if district else "",
        "regency": regency.name if regency else "",
    }


async def daftar_tps_chosen(update: Update, context: DeskContext) -> None:
    """Show what will be requested, with a send button."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    member = await current_member(context, update)
    lang = lang_for(update, member)
    tps_id = query.data.removeprefix("dft:t:")
    details = await _tps_details(context, tps_id)
    if member is not None or details is None:
        await answer_button(update, text(lang, "common.stale_button"))
        return
    markup = yes_no(
        text(lang, "registration.daftar_send"),
        f"dft:s:{tps_id}",
        text(lang, "common.back"),
        f"dft:b:0:{tps_id[:10]}",
    )
    await answer_button(update)
    await edit(update, text(lang, "registration.daftar_confirm", **details), reply_markup=markup)


async def daftar_send(update: Update, context: DeskContext) -> None:
    """File the request and ask the camat (or the nearest coordinator) to decide."""
    query = update.callback_query
    user = update.effective_user
    if query is None or query.data is None or user is None:
        return
    member = await current_member(context, update)
    lang = lang_for(update, member)
    tps_id = query.data.removeprefix("dft:s:")
    details = await _tps_details(context, tps_id)
    if member is not None or details is None:
        await answer_button(update, text(lang, "common.stale_button"))
        return
    now = context.now()
    async with context.services.transaction() as session:
        request = await people.create_registration(
            session,
            telegram_id=user.id,
            name=user.full_name[:200],
            username=user.username,
            language=lang,
            tps_id=tps_id,
            now=now,
            bot_id=context.bot.id,
        )
        approvers = await people.approvers_for(session, tps_id)
    await answer_button(update)
    key = "registration.daftar_sent" if approvers else "registration.daftar_no_approver"
    await edit(update, text(lang, key, tps=details["tps"]))
    handle = f" (@{user.username})" if user.username else ""
    for approver in approvers:
        alang = approver.language
        body = text(
            alang,
            "registration.approve_request",
            name=request.name,
            username=handle,
            tps=details["tps"],
            village=details["village"],
        )
        markup = yes_no(
            text(alang, "registration.approve_yes"),
            f"apv:y:{request.id}",
            text(alang, "registration.approve_no"),
            f"apv:n:{request.id}",
        )
        await notify(context, approver.telegram_id, body, reply_markup=markup)


async def approval_decided(update: Update, context: DeskContext) -> None:
    """Approve or reject a pending request, if this person may decide for that TPS."""
    query = update.callback_query
    user = update.effective_user
    if query is None or query.data is None or user is None:
        return
    _, answer, raw_id = query.data.split(":", 2)
    approve = answer == "y"
    now = context.now()
    async with context.services.transaction() as session:
        approver = await people.member_by_telegram_id(session, user.id)
        request = await people.registration(session, int(raw_id))
        lang = lang_for(update, approver)
        if (
            approver is None
            or request is None
            or not can_approve_registration(approver.role, approver.scope, request.tps_id)
        ):
            outcome = "common.not_allowed" if request else "common.stale_button"
        elif not await people.decide_registration(
            session, request.id, approve=approve, decided_by=approver.id, now=now
        ):
            outcome = "registration.already_decided"
        else:
            outcome = ""
            if approve:
                await people.upsert_member(
                    session,
                    telegram_id=request.telegram_id,
                    name=request.name,
                    username=await people.username_of(session, request.id),
                    role=Role.TPS,
                    scope=request.tps_id,
                    language=request.language,
                    now=now,
                    bot_id=request.bot_id,
                )
            await people.audit(
                session,
                actor_id=approver.id,
                actor_label=f"telegram:{user.id}",
                action="registration_approved" if approve else "registration_rejected",
                now=now,
                detail={
                    "request_id": request.id,
                    "tps": request.tps_id,
                    "telegram_id": request.telegram_id,
                    "bot": context.services.desk.get(request.bot_id).username
                    if context.services.desk.bots
                    else context.bot.username,
                },
            )
    if outcome:
        await answer_button(update, text(lang, outcome), alert=True)
        return
    assert approver is not None and request is not None
    await answer_button(update)
    tps_label = f"TPS {request.tps_id[-3:]} ({request.tps_id})"
    key = "registration.approved_by" if approve else "registration.rejected_by"
    await edit(update, text(lang, key, by=approver.name, name=request.name, tps=tps_label))
    rkey = "registration.you_approved" if approve else "registration.you_rejected"
    await notify(
        context,
        request.telegram_id,
        text(request.language, rkey, tps=tps_label),
        reply_markup=main_menu(context.services, Role.TPS, request.language) if approve else None,
    )
    if approve:
        await publish_member_commands(
            context.bot, context.services, request.telegram_id, Role.TPS, request.language
        )


def register(app: DeskApplication) -> None:
    app.add_handler(CommandHandler("daftar", cmd_daftar))
    app.add_handler(CallbackQueryHandler(daftar_browse, pattern=r"^dft:b:\d{1,4}:\d{0,10}$"))
    app.add_handler(CallbackQueryHandler(daftar_tps_chosen, pattern=r"^dft:t:\d{10}-\d{3}$"))
    app.add_handler(CallbackQueryHandler(daftar_send, pattern=r"^dft:s:\d{10}-\d{3}$"))
    app.add_handler(CallbackQueryHandler(approval_decided, pattern=r"^apv:[yn]:\d{1,12}$"))
