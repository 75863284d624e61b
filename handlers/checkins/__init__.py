"""Check-ins: the five kinds, guided (buttons, one message edited in place) or in one line.

Routing for private messages from people who file: a main-menu label starts what it names;
with a draft open the message answers its step (unless it is clearly a quick line while a
button is expected); otherwise it is tried as a quick line. Strangers and other roles get
what the fallback would have told them.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from domain.checkins.kinds import Kind
from domain.checkins.quick import looks_like_quick
from domain.checkins.records import RELAY_FLOW, Draft
from domain.checkins.steps import StepKey, StepType, step_of
from domain.people import Member
from domain.roles import Role
from handlers import menu
from handlers.checkins import album, flow, quick, relay, status
from handlers.checkins.service import FILERS, draft_allowed
from handlers.commands import CommandSpec, add_commands
from handlers.common import (
    HandlerCallback,
    answer_button,
    current_member,
    opening_draft,
    registered,
    reply,
    tell_unregistered,
)
from handlers.context import DeskApplication, DeskContext
from storage import conversations
from views import checkin_keyboards as keyboards
from views.texts import text

log = logging.getLogger(__name__)
OFFICER = frozenset({Role.TPS})
CAMAT = frozenset({Role.CAMAT})
FILING = frozenset(FILERS)


async def _member_and_draft(
    context: DeskContext, update: Update
) -> tuple[Member | None, Draft | None]:
    member = await current_member(context, update)
    if member is None:
        return None, None
    return member, await opening_draft(context, member.telegram_id)


async def begin(update: Update, context: DeskContext, member: Member, kind: Kind) -> None:
    """A kind was asked for: officers start it, camats first pick the TPS."""
    if member.role is Role.CAMAT:
        await relay.start(update, context, member, [])
        return
    await flow.start(update, context, member, kind)


def _kind_command(kind: Kind) -> HandlerCallback:
    @registered(Role.TPS, Role.CAMAT)
    async def cmd_kind(update: Update, context: DeskContext, member: Member) -> None:
        """Start a guided check-in of this kind."""
        await begin(update, context, member, kind)

    cmd_kind.__name__ = f"cmd_{kind.value}"
    return cmd_kind


@registered(Role.TPS, Role.CAMAT)
async def cmd_cancel(update: Update, context: DeskContext, member: Member) -> None:
    """Leave the check-in being filled in, at any step."""
    async with context.services.transaction() as session:
        draft = await conversations.get(session, member.telegram_id)
    if draft is None:
        await reply(update, text(member.language, "checkin.nothing_to_cancel"))
        return
    await flow.cancel(context, member, draft)


async def on_message(update: Update, context: DeskContext) -> None:
    """Any private message that is not a command: menu, step answer or quick line."""
    message, user = update.message, update.effective_user
    if message is None or user is None:
        return
    if album.collecting(message):  # answered once the album is complete
        await album.collect(update, context)
        return
    member, draft = await _member_and_draft(context, update)
    if member is None:
        await tell_unregistered(update)
        return
    if member.role not in FILERS:
        await reply(update, text(member.language, "common.unknown_text"))
        return
    line = message.text or message.caption or ""
    entry = menu.entry_for(context.services, message.text or "")
    action = entry.rsplit(".", 1)[-1] if entry and entry.startswith("checkin.") else None
    if action is not None:
        await _menu(update, context, member, action)
        return
    if draft is not None and draft_allowed(member, draft) and not _quick_instead(draft, line):
        if draft.flow == RELAY_FLOW:
            await relay.typed_tps(update, context, member, draft, message.text or "")
        else:
            await flow.on_input(update, context, member, draft)
        return
    if line:
        await quick.file_line(update, context, member, line)
        return
    photos = album.photo_ids(message)
    if photos and member.role is Role.TPS:
        await relay.pick_kind_for_photos(update, context, member, photos)
        return
    await reply(update, text(member.language, "checkin.unexpected_media"))


def _quick_instead(draft: Draft, line: str) -> bool:
    """A quick line sent while the draft waits for anything but free text is filed as one
    (it cannot be a number, a time or a button); the draft stays where it was."""
    if not line or not looks_like_quick(line):
        return False
    kind = draft.kind
    step = step_of(kind, draft.step) if kind is not None else None
    return step is None or step.type is not StepType.TEXT


async def _menu(update: Update, context: DeskContext, member: Member, action: str) -> None:
    if action in {k.value for k in Kind}:
        await begin(update, context, member, Kind(action))
    elif action == "titip" and member.role is Role.CAMAT:
        await relay.start(update, context, member, [])
    else:
        await status.show_status(update, context, member, [])


async def on_button(update: Update, context: DeskContext) -> None:
    """A check-in button: only the current step of the presser's own draft counts."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    parsed = keyboards.parse(query.data)
    member, draft = await _member_and_draft(context, update)
    if member is None:
        await tell_unregistered(update)
        return
    lang = member.language
    if parsed is None or draft is None or draft.token != parsed[0]:
        await answer_button(update, text(lang, "checkin.finished_button"), alert=False)
        return
    _, step, value = parsed
    if not draft_allowed(member, draft):
        async with context.services.transaction() as session:
            await conversations.drop(session, draft.telegram_id)
        await answer_button(update, text(lang, "common.not_allowed"), alert=True)
        return
    if step != draft.step:
        await answer_button(update, text(lang, "common.stale_button"))
        return
    if value == "_cancel":
        await flow.cancel(context, member, draft)
    elif step in (StepKey.PICK_TPS, StepKey.PICK_KIND):
        await relay.on_button(update, context, member, draft, step, value)
    else:
        await flow.on_button(update, context, member, draft, step, value)


@registered(Role.TPS, Role.CAMAT)
async def reminder_pressed(update: Update, context: DeskContext, member: Member) -> None:
    """The button on a deadline reminder: start filing that kind."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    await answer_button(update)
    await begin(update, context, member, Kind(query.data.removeprefix("ci:start:")))


async def on_edited(update: Update, context: DeskContext) -> None:
    """An edited message changes nothing; say so when it looks like a report line."""
    message, user = update.edited_message, update.effective_user
    if message is None or user is None or not looks_like_quick(message.text or ""):
        return
    member, _ = await _member_and_draft(context, update)
    if member is not None and member.role in FILERS:
        await reply(update, text(member.language, "checkin.edited_ignored"))


def register(app: DeskApplication) -> None:
    menu.add_entries(app, Role.TPS, *keyboards.OFFICER_MENU)
    menu.add_entries(app, Role.CAMAT, *keyboards.CAMAT_MENU)
    add_commands(
        app,
        *(CommandSpec(k.value, f"checkin.cmd_{k.value}", roles=OFFICER) for k in Kind),
        CommandSpec("titip", "checkin.cmd_titip", roles=CAMAT),
        CommandSpec("status", "checkin.cmd_status"),
        CommandSpec("riwayat", "checkin.cmd_riwayat"),
        CommandSpec("format", "checkin.cmd_format", roles=FILING),
        CommandSpec("batal", "checkin.cmd_batal", roles=FILING),
    )
    private_chat = filters.ChatType.PRIVATE
    for kind in Kind:
        app.add_handler(CommandHandler(kind.value, _kind_command(kind), filters=private_chat))
    app.add_handler(CommandHandler(["titip", "relay"], relay.cmd_relay, filters=private_chat))
    app.add_handler(CommandHandler("status", status.cmd_status))
    app.add_handler(CommandHandler(["riwayat", "history"], status.cmd_history))
    app.add_handler(CommandHandler("format", status.cmd_format))
    app.add_handler(CommandHandler(["batal", "cancel"], cmd_cancel, filters=private_chat))
    kinds = "|".join(k.value for k in Kind)
    app.add_handler(CallbackQueryHandler(reminder_pressed, pattern=rf"^ci:start:({kinds})$"))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^ci:"))
    private = filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL
    app.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, on_edited), group=0)
    app.add_handler(
        MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.COMMAND, on_message)
    )
