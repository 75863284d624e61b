"""Coordinator commands: /rekap, /belum, /tps, /ekspor, each limited to the asker's scope."""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest

from domain.checkins.kinds import Kind
from domain.figures import change
from domain.people import Member
from domain.regions import Level, contains, level_of, normalize_tps_id, parse_scope
from domain.roles import Role, can_see, effective_scope
from handlers.common import registered, reply
from handlers.context import DeskContext
from handlers.desk import render
from handlers.texts import text
from reminders import digest, sending
from storage import coverage, export, regions, schedules

DESK_ROLES = (Role.COORDINATOR, Role.ADMIN, Role.CAMAT)
PAGE = 40


async def _scope_from_args(
    update: Update, context: DeskContext, member: Member, args: list[str]
) -> tuple[str, str] | None:
    """(scope code, display name) from an optional region argument; replies and returns None
    when it is unknown or outside the member's scope."""
    lang = member.language
    async with context.services.transaction() as session:
        setup = await digest.desk_setup(session)
        if args:
            code = parse_scope(args[0])
            if code is None or level_of(code) in (Level.TPS, Level.VILLAGE):
                await_reply = text(lang, "digest.usage_region", code=args[0])
                found = None
            else:
                found = await regions.region(session, code)
                await_reply = text(lang, "digest.usage_region", code=args[0])
                if found is not None and not contains(member.scope, code):
                    scope_name = await regions.region(session, member.scope)
                    await_reply = text(
                        lang,
                        "digest.outside_scope",
                        code=f"{found.name} ({code})",
                        scope=scope_name.name if scope_name else member.scope,
                    )
                    found = None
        else:
            code = effective_scope(setup.scope, member.scope)
            found = await regions.region(session, code)
            await_reply = text(lang, "digest.usage_region", code=code)
    if found is None or code is None:
        await reply(update, await_reply)
        return None
    return code, found.name


@registered(*DESK_ROLES)
async def cmd_rekap(update: Update, context: DeskContext, member: Member) -> None:
    """Send the current figures of a region (default: the asker's), with the chart."""
    chosen = await _scope_from_args(update, context, member, list(context.args or []))
    if chosen is None:
        return
    scope, _name = chosen
    now = context.now()
    async with context.services.transaction() as session:
        setup = await digest.desk_setup(session)
        figures = await digest.build(session, scope, setup=setup, now=now)
        previous = await schedules.previous_digest(session, scope)
    lang = member.language
    for body in render.digest_messages(
        lang, figures, change(previous, figures), zone=setup.zone, requested=True
    ):
        await reply(update, body)
    if figures.total.tps and update.effective_chat is not None:
        picture, _book = await asyncio.to_thread(sending.render_attachments, figures, setup, lang)
        await update.effective_chat.send_photo(
            InputFile(picture, filename="rekap.png"),
            caption=render.digest_caption(lang, figures, setup.zone),
        )


def _kind_arg(value: str) -> str | None:
    lowered = value.lower()
    return lowered if lowered in {k.value for k in Kind} else None


def _missing_keyboard(
    lang: str, kind: str, scope: str, page: int, pages: int
) -> InlineKeyboardMarkup | None:
    buttons = []
    if page > 0:
        buttons.append(
            InlineKeyboardButton(
                text(lang, "common.page_prev"), callback_data=f"blm:{kind}:{scope}:{page - 1}"
            )
        )
    if page + 1 < pages:
        buttons.append(
            InlineKeyboardButton(
                text(lang, "common.page_next"), callback_data=f"blm:{kind}:{scope}:{page + 1}"
            )
        )
    return InlineKeyboardMarkup([buttons]) if buttons else None


async def _missing_page(
    context: DeskContext, member: Member, kind: str, scope: str, name: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    async with context.services.transaction() as session:
        total, rows = await coverage.missing_tps(
            session, kind, scope, offset=page * PAGE, limit=PAGE
        )
    pages = max(1, (total + PAGE - 1) // PAGE)
    body = render.missing_page_text(
        member.language, kind, scope=name, total=total, rows=rows, page=page, pages=pages
    )
    return body, _missing_keyboard(member.language, kind, scope, page, pages)


@registered(*DESK_ROLES)
async def cmd_belum(update: Update, context: DeskContext, member: Member) -> None:
    """List the TPS that have not filed a kind, a page at a time."""
    args = list(context.args or [])
    kind = _kind_arg(args[0]) if args else None
    if kind is None:
        kinds = ", ".join(k.value for k in Kind)
        await reply(update, text(member.language, "digest.belum_usage", kinds=kinds))
        return
    chosen = await _scope_from_args(update, context, member, args[1:])
    if chosen is None:
        return
    body, markup = await _missing_page(context, member, kind, chosen[0], chosen[1], 0)
    await reply(update, body, reply_markup=markup)


@registered(*DESK_ROLES)
async def missing_page_chosen(update: Update, context: DeskContext, member: Member) -> None:
    """Show another page of a missing list (the scope is checked again)."""
    query = update.callback_query
    if query is None or not query.data:
        return
    _, kind, scope, page_text = query.data.split(":")
    if _kind_arg(kind) is None or not page_text.isdigit() or not contains(member.scope, scope):
        await query.answer(text(member.language, "common.stale_button"))
        return
    async with context.services.transaction() as session:
        found = await regions.region(session, scope)
    if found is None:
        await query.answer(text(member.language, "common.stale_button"))
        return
    body, markup = await _missing_page(context, member, kind, scope, found.name, int(page_text))
    await query.answer()
    try:
        await query.edit_message_text(body, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


@registered(*DESK_ROLES)
async def cmd_tps(update: Update, context: DeskContext, member: Member) -> None:
    """Show every check-in one TPS filed, oldest first."""
    lang = member.language
    args = context.args or []
    tps = normalize_tps_id(" ".join(args)) if args else None
    if tps is None:
        await reply(update, text(lang, "digest.tps_usage"))
        return
    if not can_see(member.role, member.scope, tps):
        await reply(update, text(lang, "digest.outside_scope", code=tps, scope=member.scope or "-"))
        return
    async with context.services.transaction() as session:
        found = await regions.region(session, tps)
        entries = await coverage.tps_history(session, tps)
        setup = await digest.desk_setup(session)
    if found is None:
        await reply(update, text(lang, "digest.tps_unknown", tps=tps))
        return
    for body in render.history_text(
        lang, name=found.name, tps=tps, entries=entries, zone=setup.zone
    ):
        await reply(update, body)


@registered(*DESK_ROLES)
async def cmd_ekspor(update: Update, context: DeskContext, member: Member) -> None:
    """Send the spreadsheet of current check-ins in the asker's scope, one sheet per kind."""
    chosen = await _scope_from_args(update, context, member, list(context.args or []))
    if chosen is None or update.effective_chat is None:
        return
    scope, name = chosen
    async with context.services.transaction() as session:
        rows = await coverage.export_rows(session, scope)
    count = sum(len(v) for v in rows.values())
    names = {k.value: render.kind_name(member.language, k.value) for k in Kind}
    book = await asyncio.to_thread(export.ekspor_workbook, rows, names)
    stamp = context.now().date().isoformat()
    await update.effective_chat.send_document(
        InputFile(book, filename=export.ekspor_filename(scope, stamp)),
        caption=text(member.language, "digest.ekspor_caption", scope=name, count=count),
    )
