"""A camat files for a TPS of their district: pick the village and TPS (or type its id), the
kind, then the same guided steps; the check-in is marked as relayed by them."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from domain.checkins.kinds import Kind
from domain.checkins.records import RELAY_FLOW, Draft
from domain.checkins.steps import StepKey
from domain.people import Member
from domain.regions import RegionRef, contains, normalize_tps_id
from domain.roles import Role
from handlers.checkins import flow
from handlers.checkins.service import scope_refusal, show
from handlers.common import answer_button, registered
from handlers.context import DeskContext
from storage import checkins, conversations, regions
from views import checkin_keyboards as kb
from views import checkins as render
from views.keyboards import PAGE_SIZE
from views.texts import text

PICK_TPS, PICK_KIND = StepKey.PICK_TPS.value, StepKey.PICK_KIND.value


@registered(Role.CAMAT)
async def cmd_relay(update: Update, context: DeskContext, member: Member) -> None:
    """Start a relayed check-in: `/titip` to browse, `/titip TPS-ID` to go straight to it."""
    await start(update, context, member, list(context.args or []))


async def start(update: Update, context: DeskContext, member: Member, args: list[str]) -> None:
    """Open a relay draft at the TPS picker (or at the kind, when a TPS id is given)."""
    chat = update.effective_chat
    assert chat is not None
    now = context.now()
    draft = Draft(
        telegram_id=member.telegram_id,
        chat_id=chat.id,
        flow=RELAY_FLOW,
        step=PICK_TPS,
        started_at=now,
        updated_at=now,
        relayed=True,
    )
    if args:
        await typed_tps(update, context, member, draft, " ".join(args))
        return
    await _save_and_show(context, member, draft)


async def pick_kind_for_photos(
    update: Update, context: DeskContext, member: Member, photos: list[str]
) -> None:
    """Photos from an officer with no caption (one, or an album): ask once what kind of report
    they are; they wait in the draft and join the check-in of the kind picked."""
    chat = update.effective_chat
    assert chat is not None
    now = context.now()
    draft = Draft(
        telegram_id=member.telegram_id,
        chat_id=chat.id,
        flow=RELAY_FLOW,
        step=PICK_KIND,
        started_at=now,
        updated_at=now,
        tps_id=member.scope,
        answers={"photos": photos},
    )
    await _save_and_show(context, member, draft)


async def typed_tps(
    update: Update, context: DeskContext, member: Member, draft: Draft, typed: str
) -> None:
    """A TPS id typed while picking: checked against the district like any button."""
    tps_id = normalize_tps_id(typed)
    if tps_id is None:
        await _save_and_show(
            context,
            member,
            draft,
            problem=text(member.language, "checkin.unknown_tps", tps=typed[:20]),
        )
        return
    await _pick_tps(context, member, draft, tps_id)


async def on_button(
    update: Update, context: DeskContext, member: Member, draft: Draft, step: str, value: str
) -> None:
    """Browse villages and TPS, pick one, then pick the kind."""
    query = update.callback_query
    assert query is not None
    if step == PICK_KIND:
        if value not in {k.value for k in Kind} or draft.tps_id is None:
            await answer_button(update, text(member.language, "common.stale_button"))
            return
        # Photos sent before the kind was known (an album without a caption) stay with it.
        draft.answers = {k: v for k, v in draft.answers.items() if k == "photos"}
        await flow.start(update, context, member, Kind(value), draft=draft)
        return
    head, rest = value[:1], value[1:]
    if head == "t":
        await _pick_tps(context, member, draft, rest)
        return
    if head == "v" and contains(member.scope, rest) and len(rest) == 10:
        draft.answers = {"_village": rest, "_page": 0}
    elif head == "p" and rest.isdigit():
        draft.answers = {"_page": int(rest)}
    elif head == "P" and rest.isdigit() and "_village" in draft.answers:
        draft.answers["_page"] = int(rest)
    else:
        await answer_button(
            update, text(member.language, "checkin.outside_district", tps=rest[:14])
        )
        return
    await _save_and_show(context, member, draft)


async def _pick_tps(context: DeskContext, member: Member, draft: Draft, tps_id: str) -> None:
    refusal = scope_refusal(member, tps_id)
    async with context.services.transaction() as session:
        tps = await checkins.tps_info(session, tps_id) if refusal is None else None
    if refusal is None and tps is None:
        refusal = "checkin.unknown_tps"
    if refusal is not None:
        await _save_and_show(
            context, member, draft, problem=text(member.language, refusal, tps=tps_id)
        )
        return
    draft.tps_id, draft.step, draft.answers = tps_id, PICK_KIND, {}
    await _save_and_show(context, member, draft)


async def _save_and_show(
    context: DeskContext, member: Member, draft: Draft, *, problem: str = ""
) -> None:
    lang = member.language
    draft.updated_at = context.now()
    async with context.services.transaction() as session:
        await conversations.save(session, draft)
        village = draft.answers.get("_village")
        if draft.step == PICK_KIND:
            tps = await checkins.tps_info(session, draft.tps_id or "")
            body = text(lang, "checkin.relay.pick_kind", tps=tps.label if tps else draft.tps_id)
            markup = _kinds(lang, draft)
        elif village:
            items = await regions.children(session, village)
            found = await regions.region(session, village)
            body = text(lang, "checkin.relay.pick_tps", village=found.name if found else village)
            markup = _page(lang, draft, items, "t", "P", back="p0")
        else:
            items = await regions.children(session, member.scope)
            example = f"{items[0].code}-001" if items else "3672011001-001"
            body = text(lang, "checkin.relay.pick_village", example=example)
            markup = _page(lang, draft, items, "v", "p", back=None)
    if problem:
        body += "\n\n" + text(lang, "checkin.problem_line", problem=problem)
    await show(context, draft, body, markup)


def _kinds(lang: str, draft: Draft) -> InlineKeyboardMarkup:
    buttons = [
        kb.button(
            f"{kb.KIND_ICONS[k]} {render.kind_name(lang, k)}", draft.token, PICK_KIND, k.value
        )
        for k in Kind
    ]
    return InlineKeyboardMarkup([*kb.rows(buttons, 2), kb.cancel_row(lang, draft.token, PICK_KIND)])


def _page(
    lang: str, draft: Draft, items: Sequence[RegionRef], pick: str, browse: str, *, back: str | None
) -> InlineKeyboardMarkup:
    pages = max(1, (len(items) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(int(draft.answers.get("_page", 0)), 0), pages - 1)
    chunk = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    choices = [kb.button(r.name, draft.token, PICK_TPS, pick + r.code) for r in chunk]
    rows = kb.rows(choices, 3 if pick == "t" else 2)
    nav: list[InlineKeyboardButton] = []
    if page > 0:
        nav.append(
            kb.button(text(lang, "common.page_prev"), draft.token, PICK_TPS, f"{browse}{page - 1}")
        )
    if page < pages - 1:
        nav.append(
            kb.button(text(lang, "common.page_next"), draft.token, PICK_TPS, f"{browse}{page + 1}")
        )
    if nav:
        rows.append(nav)
    if back is not None:
        rows.append([kb.button(text(lang, "common.back"), draft.token, PICK_TPS, back)])
    rows.append(kb.cancel_row(lang, draft.token, PICK_TPS))
    return InlineKeyboardMarkup(rows)
