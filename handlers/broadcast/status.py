"""After sending: the read button, who has read it per region, resending, reachability."""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Update
from telegram.constants import ChatMemberStatus

from domain.broadcast import BroadcastStatus, BroadcastView, breakdown_length
from domain.people import Member
from domain.regions import contains
from domain.schedule import desk_time
from handlers.broadcast.compose import SENDERS, preview
from handlers.common import (
    answer_button,
    answer_key,
    current_member,
    edit_buttons,
    forget_member,
    is_private,
    lang_for,
    registered,
    remember_member,
    reply,
)
from handlers.context import DeskContext
from storage import broadcasts, deliveries, digest, people
from views import broadcast as views
from views import broadcast_keyboards as keyboards
from views.texts import text

log = logging.getLogger(__name__)


async def ack_pressed(update: Update, context: DeskContext) -> None:
    """Record 'read / understood' once; only the recipient's own press counts."""
    query = update.callback_query
    user = update.effective_user
    if query is None or query.data is None or user is None:
        return
    bid = int(query.data.split(":")[1])
    async with context.services.transaction() as session:
        outcome = await broadcasts.acknowledge(session, bid, user.id, now=context.now())
        member = await people.member_by_telegram_id(session, user.id)
    lang = lang_for(update, member)
    if outcome is None:
        await answer_button(update, text(lang, "common.stale_button"))
        return
    await answer_button(
        update, text(lang, "broadcast.ack_thanks" if outcome else "broadcast.ack_already")
    )
    if outcome:
        await edit_buttons(update, keyboards.acked(lang, bid))


def _may_view(member: Member, b: BroadcastView) -> bool:
    return member.id == b.sender_id or (member.role in SENDERS and contains(member.scope, b.scope))


@registered(*SENDERS)
async def cmd_status(update: Update, context: DeskContext, member: Member) -> None:
    """Show one broadcast's acknowledgements (/siaran_status ID) or list the latest ones."""
    lang = member.language
    if not is_private(update):
        await reply(update, text(lang, "broadcast.private_only"))
        return
    args = context.args or []
    if args and args[0].lstrip("#").isdigit():
        body, markup = await _report(context, member, int(args[0].lstrip("#")))
        await reply(update, body, reply_markup=markup)
        return
    async with context.services.transaction() as session:
        latest = await broadcasts.recent(session, member.scope)
        zone = (await digest.desk_setup(session)).zone
        entries = [
            (
                b.id,
                text(
                    lang,
                    "broadcast.list_item",
                    id=b.id,
                    date=desk_time(b.created_at, zone),
                    audience=await views.audience_label(session, lang, b),
                ),
            )
            for b in latest
        ]
    if not entries:
        await reply(update, text(lang, "broadcast.status_none"))
        return
    await reply(
        update, text(lang, "broadcast.status_list"), reply_markup=keyboards.listing(entries)
    )


async def _report(
    context: DeskContext, member: Member, bid: int
) -> tuple[str, keyboards.InlineKeyboardMarkup | None]:
    lang = member.language
    async with context.services.transaction() as session:
        b = await broadcasts.get(session, bid)
        if b is None or b.status is BroadcastStatus.DRAFT or not _may_view(member, b):
            return text(lang, "broadcast.status_unknown", id=bid), None
        tally = await deliveries.tally_of(session, bid)
        by_region = await broadcasts.acks_by_region(session, bid, length=breakdown_length(b.scope))
        label = await views.audience_label(session, lang, b)
        body = await views.report(session, lang, b, label, tally, by_region)
    return body, keyboards.report(lang, bid, tally.total - tally.acked)


async def status_pressed(update: Update, context: DeskContext) -> None:
    """The report for a broadcast chosen from the list or its status message."""
    query = update.callback_query
    user = update.effective_user
    if query is None or query.data is None or user is None:
        return
    async with context.services.transaction() as session:
        member = await people.member_by_telegram_id(session, user.id)
    if member is None or member.role not in SENDERS:
        await answer_button(update, text(lang_for(update, member), "common.stale_button"))
        return
    body, markup = await _report(context, member, int(query.data.split(":")[2]))
    await answer_button(update)
    await reply(update, body, reply_markup=markup)


async def resend_pressed(update: Update, context: DeskContext) -> None:
    """Draft the same instruction for exactly those who have not acknowledged it."""
    query = update.callback_query
    user = update.effective_user
    if query is None or query.data is None or user is None:
        return
    bid = int(query.data.split(":")[2])
    async with context.services.transaction() as session:
        member = await people.member_by_telegram_id(session, user.id)
        original = await broadcasts.get(session, bid)
        allowed = (
            member is not None
            and member.role in SENDERS
            and original is not None
            and original.status is not BroadcastStatus.DRAFT
            and _may_view(member, original)
        )
        if allowed and member is not None and original is not None:
            draft = await broadcasts.create_resend(session, original, member, now=context.now())
    if not allowed or member is None:
        await answer_button(update, text(lang_for(update, member), "common.stale_button"))
        return
    await answer_button(update)
    await context.services.out.send(
        *views.preview_calls(member.telegram_id, draft, key=answer_key())
    )
    body, markup = await preview(context, member.language, draft)
    note = text(member.language, "broadcast.preview_note")
    await reply(update, f"{note}\n\n{body}", reply_markup=markup)


async def note_presence(update: Update, context: DeskContext) -> None:
    """Whoever writes (or unblocks the bot) is reachable again; blocking makes them not."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or not is_private(update):
        return
    change = update.my_chat_member
    if change is not None:
        status = change.new_chat_member.status
        reachable = status not in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        async with context.services.transaction() as session:
            await people.set_reachable(session, user.id, reachable, context.now())
        forget_member()
        return
    # Read without the write lock: nearly everyone who writes is reachable already.
    member = await current_member(context, update)
    if member is not None and not member.reachable:
        async with context.services.transaction() as session:
            await people.set_reachable(session, user.id, True, context.now())
        remember_member(user.id, replace(member, reachable=True))
