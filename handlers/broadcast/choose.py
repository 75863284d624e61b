"""The buttons of a draft: audience, region browsing, change, cancel, and send."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update

from domain.broadcast import (
    STAR_TENTHS_PER_MESSAGE,
    Audience,
    AudienceKind,
    BroadcastStatus,
    BroadcastView,
    DraftStep,
)
from domain.checkins.kinds import Kind
from domain.people import Member
from domain.regions import Level, RegionRef, contains, level_of
from domain.roles import Role
from handlers.broadcast.compose import SENDERS, preview
from handlers.common import answer_button, lang_for
from handlers.common import edit as edit_pressed
from handlers.context import DeskContext
from storage import broadcasts, deliveries, people, regions
from views import broadcast as views
from views import broadcast_keyboards as keyboards
from views.texts import text

log = logging.getLogger(__name__)


async def _own_draft(
    update: Update, context: DeskContext
) -> tuple[Member, BroadcastView, list[str]] | None:
    """The pressed draft if it is still a draft of the person pressing; else say it is stale."""
    query = update.callback_query
    user = update.effective_user
    if query is None or query.data is None or user is None:
        return None
    parts = query.data.split(":")
    async with context.services.transaction() as session:
        member = await people.member_by_telegram_id(session, user.id)
        draft = await broadcasts.get(session, int(parts[2]))
    if (
        member is None
        or member.role not in SENDERS
        or draft is None
        or draft.sender_id != member.id
        or draft.status is not BroadcastStatus.DRAFT
    ):
        await answer_button(update, text(lang_for(update, member), "common.stale_button"))
        return None
    return member, draft, parts


async def edit(update: Update, body: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Answer the press and show `body` in the pressed message."""
    await answer_button(update)
    await edit_pressed(update, body, reply_markup=markup)


async def _set_audience(update: Update, context: DeskContext, audience: Audience) -> None:
    found = await _own_draft(update, context)
    if found is None:
        return
    member, draft, _ = found
    async with context.services.transaction() as session:
        await broadcasts.update_draft(
            session, draft.id, now=context.now(), audience=audience, step=DraftStep.PREVIEW
        )
        fresh = await broadcasts.get(session, draft.id)
    assert fresh is not None
    body, markup = await preview(context, member.language, fresh)
    await edit(update, body, markup)


async def audience_kind_chosen(update: Update, context: DeskContext) -> None:
    """Everyone at once, or the next question: which role, which region, which kind."""
    found = await _own_draft(update, context)
    if found is None:
        return
    member, draft, parts = found
    lang, choice = member.language, parts[3]
    if choice == "all":
        await _set_audience(update, context, Audience(AudienceKind.ALL))
    elif choice == "role":
        await edit(
            update, text(lang, "broadcast.pick_role", id=draft.id), keyboards.roles(lang, draft.id)
        )
    elif choice == "nf":
        await edit(
            update, text(lang, "broadcast.pick_kind", id=draft.id), keyboards.kinds(lang, draft.id)
        )
    else:
        await _show_regions(update, context, member, draft, draft.scope, 0)


async def role_chosen(update: Update, context: DeskContext) -> None:
    """Send to one role inside the sender's scope."""
    data = update.callback_query.data if update.callback_query else None
    role = (data or "").rsplit(":", 1)[-1]
    await _set_audience(update, context, Audience(AudienceKind.ROLE, Role(role).value))


async def kind_chosen(update: Update, context: DeskContext) -> None:
    """Send to TPS officers who have not filed this kind of check-in."""
    data = update.callback_query.data if update.callback_query else None
    kind = (data or "").rsplit(":", 1)[-1]
    await _set_audience(update, context, Audience(AudienceKind.NOT_FILED, Kind(kind).value))


async def _show_regions(
    update: Update,
    context: DeskContext,
    member: Member,
    draft: BroadcastView,
    code: str,
    page: int,
) -> None:
    level = level_of(code)
    async with context.services.transaction() as session:
        here = await regions.region(session, code)
        below = [] if level in (Level.VILLAGE, Level.TPS) else await regions.children(session, code)
        await broadcasts.update_draft(session, draft.id, now=context.now(), step=DraftStep.REGION)
    if here is None:
        here = RegionRef(code, code, level or Level.NATION)
    lang = member.language
    example = below[0].code if below else code
    body = text(lang, "broadcast.pick_region", id=draft.id, name=here.name, example=example)
    markup = keyboards.regions(
        lang, draft.id, here, list(below), page=page, top=code == draft.scope
    )
    await edit(update, body, markup)


async def region_browsed(update: Update, context: DeskContext) -> None:
    """Show the regions under a region (or another page of them)."""
    found = await _own_draft(update, context)
    if found is None:
        return
    member, draft, parts = found
    page, code = int(parts[3]), parts[4]
    if not contains(draft.scope, code) or level_of(code) is None:
        await answer_button(update, text(member.language, "common.stale_button"))
        return
    await _show_regions(update, context, member, draft, code, page)


async def region_picked(update: Update, context: DeskContext) -> None:
    """Send to everyone in the chosen region."""
    found = await _own_draft(update, context)
    if found is None:
        return
    member, draft, parts = found
    code = parts[3]
    if not contains(draft.scope, code) or level_of(code) in (None, Level.NATION):
        await answer_button(update, text(member.language, "common.stale_button"))
        return
    await _set_audience(update, context, Audience(AudienceKind.REGION, code))


async def change_chosen(update: Update, context: DeskContext) -> None:
    """Back to the audience question."""
    found = await _own_draft(update, context)
    if found is None:
        return
    member, draft, _ = found
    async with context.services.transaction() as session:
        await broadcasts.update_draft(session, draft.id, now=context.now(), step=DraftStep.AUDIENCE)
    lang = member.language
    await edit(
        update,
        text(lang, "broadcast.pick_audience", id=draft.id),
        keyboards.audience_kinds(lang, draft.id),
    )


async def cancel_chosen(update: Update, context: DeskContext) -> None:
    """Drop the draft; nothing was sent."""
    found = await _own_draft(update, context)
    if found is None:
        return
    member, draft, _ = found
    async with context.services.transaction() as session:
        await broadcasts.cancel_draft(session, draft.id, member.id)
    await edit(update, text(member.language, "broadcast.cancelled"))


async def send_chosen(update: Update, context: DeskContext) -> None:
    """Queue the broadcast for everyone it names; this message becomes its progress."""
    await _send(update, context, paid=False)


async def send_paid_chosen(update: Update, context: DeskContext) -> None:
    """Queue it to go out paid: `allow_paid_broadcast`, at the paid pace, 0.1 Star a message."""
    await _send(update, context, paid=True)


async def _send(update: Update, context: DeskContext, *, paid: bool) -> None:
    found = await _own_draft(update, context)
    query = update.callback_query
    if found is None or query is None:
        return
    member, draft, _ = found
    if paid and not context.services.paid_broadcasts:  # a button from before it was turned off
        await answer_button(update, text(member.language, "broadcast.paid_off"))
        return
    message_id = query.message.message_id if query.message else None
    now = context.now()
    async with context.services.transaction() as session:
        total = await broadcasts.confirm(
            session,
            draft.id,
            sender_id=member.id,
            status_message_id=message_id,
            now=now,
            paid=paid,
        )
        if total is not None:
            assert draft.audience is not None
            await people.audit(
                session,
                actor_id=member.id,
                actor_label=f"telegram:{member.telegram_id}",
                action="broadcast_confirmed",
                now=now,
                detail={
                    "broadcast": draft.id,
                    "audience": draft.audience.to_json(),
                    "scope": draft.scope,
                    "recipients": total,
                    "media": draft.media_type,
                    "paid": paid,
                    # Telegram's price: 0.1 Star a message (allow_paid_broadcast)
                    "stars_estimate": total * STAR_TENTHS_PER_MESSAGE / 10 if paid else 0,
                },
            )
            fresh = await broadcasts.get(session, draft.id)
            tally = await deliveries.tally_of(session, draft.id)
            label = await views.audience_label(session, member.language, draft)
    if total is None:
        await answer_button(update, text(member.language, "common.stale_button"))
        return
    assert fresh is not None
    if context.services.broadcast_worker is not None:
        context.services.broadcast_worker.wake()
    await edit(update, views.progress(member.language, fresh, label, tally))
