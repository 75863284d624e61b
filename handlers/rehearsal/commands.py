"""/simulasi: admins start, watch, end, report and delete a rehearsal (every change audited).

While a rehearsal runs, every check-in anyone files is the rehearsal's (everyone is
practising then; see `storage.checkins.file_checkin`); the real schedule keeps running.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from domain.people import Member
from domain.rehearsal import DEFAULT_PLAN, RehearsalPlan, RehearsalStatus
from domain.roles import Role
from domain.schedule import ScheduleError
from handlers.common import answer_button, answer_key, edit, registered, reply
from handlers.context import DeskContext
from storage import people, rehearsals
from storage.digest import desk_setup
from views import rehearsal as render
from views import rehearsal_report
from views.texts import text

START = ("mulai", "start")
END = ("selesai", "end")
REPORT = ("laporan", "report")
DELETE = ("hapus", "delete")


def _actor(member: Member) -> dict[str, object]:
    return {"actor_id": member.id, "actor_label": f"telegram:{member.telegram_id}"}


@registered(Role.ADMIN)
async def cmd_simulasi(update: Update, context: DeskContext, member: Member) -> None:
    """Show the status, or start, end, report or delete, by the first word."""
    args = list(context.args or [])
    action = args[0].lower() if args else ""
    if action in START:
        await _start(update, context, member, args[1:])
    elif action in END:
        await _end(update, context, member)
    elif action in REPORT:
        await _report(update, context, member)
    elif action in DELETE:
        await _ask_delete(update, context, member)
    elif not action:
        await _status(update, context, member)
    else:
        await reply(update, text(member.language, "rehearsal.usage"))


async def _status(update: Update, context: DeskContext, member: Member) -> None:
    lang = member.language
    async with context.services.transaction() as session:
        info = await rehearsals.running(session)
        zone = (await desk_setup(session)).zone
    if info is None:
        await reply(update, text(lang, "rehearsal.none") + "\n\n" + text(lang, "rehearsal.usage"))
        return
    since, zone_name = render.when(info.started_at, zone)
    lines = [text(lang, "rehearsal.running", id=info.id, since=since, zone=zone_name)]
    await reply(update, "\n".join(lines + render.plan_lines(lang, info, zone)))


async def _start(update: Update, context: DeskContext, member: Member, words: list[str]) -> None:
    lang, now = member.language, context.now()
    try:
        plan = RehearsalPlan.from_words(words) if words else DEFAULT_PLAN
    except ScheduleError as exc:
        reason = text(lang, f"digest.schedule_problem.{exc.code}", **exc.values)
        await reply(update, text(lang, "rehearsal.bad_plan", reason=reason))
        return
    async with context.services.transaction() as session:
        current = await rehearsals.running(session)
        if current is None:
            info = await rehearsals.start(session, plan, by=member.id, now=now)
            await people.audit(
                session,
                **_actor(member),  # type: ignore[arg-type]
                action="rehearsal_started",
                now=now,
                detail={"rehearsal": info.id, "plan": plan.to_dict()},
            )
        zone = (await desk_setup(session)).zone
    if current is not None:
        await reply(update, text(lang, "rehearsal.already", id=current.id))
        return
    since, zone_name = render.when(info.started_at, zone)
    lines = [text(lang, "rehearsal.started", id=info.id, since=since, zone=zone_name)]
    await reply(update, "\n".join(lines + render.plan_lines(lang, info, zone)))


async def _end(update: Update, context: DeskContext, member: Member) -> None:
    lang, now = member.language, context.now()
    async with context.services.transaction() as session:
        info = await rehearsals.end(session, now=now)
        if info is not None:
            await people.audit(
                session,
                **_actor(member),  # type: ignore[arg-type]
                action="rehearsal_ended",
                now=now,
                detail={"rehearsal": info.id},
            )
    if info is None:
        await reply(update, text(lang, "rehearsal.none"))
        return
    await reply(update, text(lang, "rehearsal.ended", id=info.id))
    await rehearsal_report.send_pending(context.application)  # type: ignore[arg-type]


async def _report(update: Update, context: DeskContext, member: Member) -> None:
    """Send the last ended rehearsal's report to the asker again."""
    async with context.services.transaction() as session:
        info = await rehearsals.latest(session)
    if info is None or info.status is not RehearsalStatus.ENDED:
        await reply(update, text(member.language, "rehearsal.nothing_ended"))
        return
    built = await rehearsal_report.build_report(context.services, info.id)
    if built is not None:
        await rehearsal_report.notify_report(
            member.telegram_id,
            member.language,
            *built,
            context.services,
            answer_key=answer_key(),
        )


async def _ask_delete(update: Update, context: DeskContext, member: Member) -> None:
    lang = member.language
    async with context.services.transaction() as session:
        info = await rehearsals.latest(session)
    if info is None or info.status is RehearsalStatus.DELETED:
        await reply(update, text(lang, "rehearsal.delete_nothing"))
        return
    if info.status is RehearsalStatus.RUNNING:
        await reply(update, text(lang, "rehearsal.delete_running", id=info.id))
        return
    yes = InlineKeyboardButton(
        text(lang, "rehearsal.delete_yes"), callback_data=f"sim:del:{info.id}"
    )
    no = InlineKeyboardButton(text(lang, "rehearsal.delete_no"), callback_data=f"sim:no:{info.id}")
    markup = InlineKeyboardMarkup([[yes], [no]])
    await reply(update, text(lang, "rehearsal.delete_prompt", id=info.id), reply_markup=markup)


@registered(Role.ADMIN)
async def delete_chosen(update: Update, context: DeskContext, member: Member) -> None:
    """Delete the rehearsal's data after the confirming press (role checked again)."""
    query = update.callback_query
    if query is None or not query.data:
        return
    lang, now = member.language, context.now()
    _, action, number = [*query.data.split(":"), "", ""][:3]
    if action != "del" or not number.isdigit():
        await answer_button(update)
        await edit(update, text(lang, "rehearsal.delete_cancelled"))
        return
    async with context.services.transaction() as session:
        info = await rehearsals.get(session, int(number))
        counts = None
        if info is not None and info.status is RehearsalStatus.ENDED:
            counts = await rehearsals.delete_data(session, info.id, now=now)
            await people.audit(
                session,
                **_actor(member),  # type: ignore[arg-type]
                action="rehearsal_deleted",
                now=now,
                detail={"rehearsal": info.id, "rows": counts},
            )
    await answer_button(update)
    if counts is None:
        await edit(update, text(lang, "rehearsal.delete_nothing"))
        return
    await edit(
        update,
        text(
            lang,
            "rehearsal.deleted",
            id=number,
            checkins=counts["checkin"],
            slots=counts["slot"],
            broadcasts=counts["broadcast"],
        ),
    )
