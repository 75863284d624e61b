"""Coordinator commands: /rekap, /belum, /tps, /ekspor, each limited to the asker's scope."""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from domain.checkins.kinds import Kind
from domain.figures import change
from domain.people import Member
from domain.regions import Level, contains, level_of, normalize_tps_id, parse_scope
from domain.roles import Role, can_see, effective_scope
from domain.schedule import zone_abbreviation
from handlers.checkins.status import show_history
from handlers.common import answer_button, edit, registered, reply, reply_file
from handlers.context import DeskContext
from storage import coverage, digest, export, regions, rehearsals, schedules
from views import desk as render
from views import exports
from views.texts import text

DESK_ROLES = (Role.COORDINATOR, Role.ADMIN, Role.CAMAT)
PRACTICE_WORDS = ("simulasi", "rehearsal")
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
    """Send the current figures of a region (default: the asker's), with the chart;
    `/rekap simulasi [region]` shows the last rehearsal's instead of the real ones."""
    args = list(context.args or [])
    practice = bool(args) and args[0].lower() in PRACTICE_WORDS
    chosen = await _scope_from_args(update, context, member, args[1:] if practice else args)
    if chosen is None:
        return
    scope, _name = chosen
    now = context.now()
    async with context.services.transaction() as session:
        rehearsal = await rehearsals.last_with_data(session) if practice else None
        setup = await digest.desk_setup(session, rehearsal=rehearsal)
        figures = await digest.build(session, scope, setup=setup, now=now)
        previous = None if practice else await schedules.previous_digest(session, scope)
    lang = member.language
    if practice and rehearsal is None:
        await reply(update, text(lang, "rehearsal.none"))
        return
    for body in render.digest_messages(
        lang,
        figures,
        change(previous, figures),
        zone=setup.zone,
        requested=True,
        rehearsal=practice,
    ):
        await reply(update, body)
    if figures.total.tps and update.effective_chat is not None:
        picture = await asyncio.to_thread(render.render_chart, figures, lang)
        await reply_file(
            update,
            "photo",
            data=picture,
            filename="rekap.png",
            caption=render.digest_caption(lang, figures, setup.zone, rehearsal=practice),
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
        await answer_button(update, text(member.language, "common.stale_button"))
        return
    async with context.services.transaction() as session:
        found = await regions.region(session, scope)
    if found is None:
        await answer_button(update, text(member.language, "common.stale_button"))
        return
    body, markup = await _missing_page(context, member, kind, scope, found.name, int(page_text))
    await answer_button(update)
    await edit(update, body, reply_markup=markup)


@registered(*DESK_ROLES)
async def cmd_tps(update: Update, context: DeskContext, member: Member) -> None:
    """Show one TPS's history: the same view as /riwayat."""
    lang = member.language
    args = context.args or []
    tps = normalize_tps_id(" ".join(args)) if args else None
    if tps is None:
        await reply(update, text(lang, "digest.tps_usage"))
        return
    if not can_see(member.role, member.scope, tps):
        await reply(update, text(lang, "digest.outside_scope", code=tps, scope=member.scope or "-"))
        return
    await show_history(update, context, member, tps)


@registered(*DESK_ROLES)
async def cmd_ekspor(update: Update, context: DeskContext, member: Member) -> None:
    """Send the spreadsheet of current check-ins in the asker's scope, one sheet per kind."""
    chosen = await _scope_from_args(update, context, member, list(context.args or []))
    if chosen is None or update.effective_chat is None:
        return
    scope, name = chosen
    async with context.services.transaction() as session:
        sheets = await export.checkin_sheets(session, scope, current_only=True)
        setup = await digest.desk_setup(session)
    count = sum(len(s.rows) for s in sheets)
    book = await asyncio.to_thread(
        exports.workbook, sheets, member.language, context.services.election
    )
    stamp = context.now().date().isoformat()
    caption = text(
        member.language,
        "digest.ekspor_caption",
        scope=name,
        count=count,
        zone=zone_abbreviation(setup.zone),
    )
    await reply_file(
        update,
        "document",
        data=book,
        filename=f"ekspor-{scope or 'nasional'}-{stamp}.xlsx",
        caption=caption,
    )
