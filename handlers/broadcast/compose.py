"""/siaran: write the instruction, pick the audience, see the preview, confirm.

Every step is stored on the draft row, so a restart never loses a half-written broadcast.
Nothing is queued before the sender presses the send button on the summary.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import ApplicationHandlerStop

from domain.broadcast import Audience, AudienceKind, BroadcastView, DraftStep, paid_estimate
from domain.people import Member
from domain.regions import Level, contains, level_of, parse_scope
from domain.richtext import MAX_CAPTION, MAX_TEXT, sanitise, too_long
from domain.roles import Role
from handlers.common import answer_key, current_member, is_private, registered, reply
from handlers.context import DeskContext
from storage import broadcasts, regions, rehearsals
from views import broadcast as views
from views import broadcast_keyboards as keyboards
from views.texts import text

log = logging.getLogger(__name__)

SENDERS = (Role.ADMIN, Role.COORDINATOR)
# A draft waiting for typed input only claims messages for this long, so an abandoned
# /siaran does not swallow what the admin writes tomorrow.
INPUT_WINDOW = timedelta(hours=1)
CANCEL_COMMANDS = frozenset({"/batal", "/cancel"})
FORMATTING = frozenset(
    {"bold", "italic", "underline", "strikethrough", "text_link", "code", "pre", "spoiler"}
)


@registered(*SENDERS)
async def cmd_broadcast(update: Update, context: DeskContext, member: Member) -> None:
    """Start a new draft and ask for its text."""
    if not is_private(update):
        await reply(update, text(member.language, "broadcast.private_only"))
        return
    async with context.services.transaction() as session:
        await broadcasts.start_draft(session, member, now=context.now())
        practice = await rehearsals.running_id(session) is not None
    body = text(member.language, "broadcast.compose", max_text=MAX_TEXT, max_caption=MAX_CAPTION)
    if practice:  # composed now, it is the rehearsal's and goes when its data is deleted
        body = text(member.language, "rehearsal.broadcast_note") + "\n\n" + body
    await reply(update, body)


async def draft_input(update: Update, context: DeskContext) -> None:
    """Take the draft's text (or region code) when this person is writing one; else pass."""
    message = update.message
    user = update.effective_user
    if message is None or user is None or not is_private(update):
        return
    words = (message.text or "").split()
    command = words[0].split("@")[0].lower() if words and words[0].startswith("/") else None
    if command is not None and command not in CANCEL_COMMANDS:
        return  # other commands keep working while a draft is open
    # Asked of every private message: only a sender's text can fill a draft, so an officer's
    # line is let through without a look at the drafts (their record is read once per update).
    member = await current_member(context, update)
    if command is None and (member is None or member.role not in SENDERS):
        return
    now = context.now()
    async with context.services.reading() as session:
        draft = await broadcasts.open_draft(session, user.id)
    if draft is None or draft.step_at is None or now - draft.step_at > INPUT_WINDOW:
        return
    if command is not None:
        async with context.services.transaction() as session:
            await broadcasts.cancel_draft(session, draft.id, draft.sender_id)
        await reply(update, text(member.language if member else "id", "broadcast.cancelled"))
        raise ApplicationHandlerStop
    if draft.step not in (DraftStep.TEXT, DraftStep.REGION):
        return
    if member is None or member.id != draft.sender_id or member.role not in SENDERS:
        return
    if draft.step is DraftStep.TEXT:
        await _take_content(update, context, member, draft, message)
    else:
        await _take_region(update, context, member, draft, message.text or "")
    raise ApplicationHandlerStop


async def _take_content(
    update: Update, context: DeskContext, member: Member, draft: BroadcastView, message: Message
) -> None:
    lang = member.language
    media_type, file_id = None, None
    if message.photo:
        media_type, file_id = "photo", message.photo[-1].file_id
    elif message.document is not None:
        media_type, file_id = "document", message.document.file_id
    elif message.text is None:
        await reply(update, text(lang, "broadcast.unsupported"))
        return
    raw = message.text if media_type is None else message.caption
    entities = message.entities if media_type is None else message.caption_entities
    if raw and any(e.type in FORMATTING for e in entities):
        # Formatting made with the app's own buttons arrives as entities; typed tags as text.
        raw = message.text_html if media_type is None else message.caption_html
    formatted = sanitise(raw or "")
    if not formatted.html and media_type is None:
        await reply(update, text(lang, "broadcast.empty"))
        return
    over = too_long(formatted, caption=media_type is not None)
    if over:
        limit = MAX_CAPTION if media_type else MAX_TEXT
        body = text(lang, "broadcast.too_long", length=formatted.length, limit=limit, over=over)
        await reply(update, body)
        return
    async with context.services.transaction() as session:
        saved = await broadcasts.update_draft(
            session,
            draft.id,
            now=context.now(),
            text=formatted.html,
            media_type=media_type,
            media_file_id=file_id,
            step=DraftStep.AUDIENCE,
        )
        fresh = await broadcasts.get(session, draft.id)
    if not saved or fresh is None:
        return
    await context.services.out.send(
        *views.preview_calls(member.telegram_id, fresh, key=answer_key())
    )
    body = (
        text(lang, "broadcast.preview_note")
        + "\n\n"
        + text(lang, "broadcast.pick_audience", id=draft.id)
    )
    await reply(update, body, reply_markup=keyboards.audience_kinds(lang, draft.id))


async def _take_region(
    update: Update, context: DeskContext, member: Member, draft: BroadcastView, typed: str
) -> None:
    code = parse_scope(typed)
    async with context.services.transaction() as session:
        known = code is not None and await regions.region(session, code) is not None
        usable = (
            known
            and code is not None
            and level_of(code) not in (None, Level.NATION)
            and contains(draft.scope, code)
        )
        if usable and code is not None:
            await broadcasts.update_draft(
                session,
                draft.id,
                now=context.now(),
                audience=Audience(AudienceKind.REGION, code),
                step=DraftStep.PREVIEW,
            )
        fresh = await broadcasts.get(session, draft.id)
    if not usable or fresh is None:
        await reply(update, text(member.language, "broadcast.region_unknown", code=typed[:20]))
        return
    body, markup = await preview(context, member.language, fresh)
    await reply(update, body, reply_markup=markup)


async def preview(
    context: DeskContext, lang: str, draft: BroadcastView
) -> tuple[str, InlineKeyboardMarkup]:
    """The summary before sending: who, how many, and the send/change/cancel buttons; where the
    desk allows paid broadcasts, also what sending it paid costs and saves."""
    assert draft.audience is not None
    async with context.services.transaction() as session:
        count = await broadcasts.count_audience(
            session, draft.scope, draft.audience, exclude=draft.sender_id
        )
        label = await views.audience_label(session, lang, draft)
    services = context.services
    paid = None
    if services.paid_broadcasts:
        pace = services.broadcast_pace
        paid = paid_estimate(
            count,
            free_rate=pace.rate,
            paid_rate=pace.paid_rate,
            round_trip=services.out.limiter.typical_round_trip(),
            max_in_flight=pace.max_in_flight,
        )
    body = views.summary(lang, draft, label, count, paid)
    return body, keyboards.confirm(lang, draft.id, count, paid)
