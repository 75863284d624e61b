"""/status (a TPS's current state per kind, or a region's coverage), /riwayat (versions),
/format (the one-line grammar with an example per kind)."""

from __future__ import annotations

from telegram import Update

from domain.checkins.kinds import Kind, Severity
from domain.checkins.quick import type_words
from domain.people import Member
from domain.regions import Level, level_of, normalize_tps_id
from domain.roles import Role, can_see
from handlers.checkins.quick import example_tps
from handlers.common import registered, reply, scope_label
from handlers.context import DeskContext
from storage import checkins, digest
from views import checkins as render
from views.desk import region_status_text
from views.texts import text

MARKS = {Severity.OK: "✅", Severity.WARN: "🟡", Severity.SEVERE: "🟠", Severity.CRITICAL: "🔴"}
HISTORY_LIMIT = 30


def _target(member: Member, args: list[str]) -> str | None:
    """The TPS or region asked about: the officer's own TPS, or a code inside the scope."""
    if not args:
        return member.scope
    wanted = normalize_tps_id(args[0]) or args[0].strip()
    if level_of(wanted) is None or not can_see(member.role, member.scope, wanted):
        return None
    return wanted


@registered()
async def cmd_status(update: Update, context: DeskContext, member: Member) -> None:
    """Show one TPS's current check-ins, or the coverage of a region."""
    await show_status(update, context, member, list(context.args or []))


async def show_status(
    update: Update, context: DeskContext, member: Member, args: list[str]
) -> None:
    lang = member.language
    target = _target(member, args)
    if target is None:
        await reply(update, text(lang, "checkin.status.usage"))
        return
    if level_of(target) is Level.TPS:
        await reply(update, await tps_status(context, lang, target))
    else:
        await reply(update, await region_status(context, lang, target))


async def tps_status(context: DeskContext, lang: str, tps_id: str) -> str:
    election = context.services.election
    async with context.services.transaction() as session:
        tps = await checkins.tps_info(session, tps_id)
        current = await checkins.current(session, tps_id) if tps else {}
    if tps is None:
        return text(lang, "checkin.unknown_tps", tps=tps_id)
    lines = [text(lang, "checkin.status.tps_title", tps=tps.label)]
    for kind in Kind:
        filed = current.get(kind)
        if filed is None:
            lines.append(text(lang, "checkin.status.missing", kind=render.kind_name(lang, kind)))
            continue
        relay = text(lang, "checkin.status.relayed_mark") if filed.relayed else ""
        lines.append(
            text(
                lang,
                "checkin.status.line",
                mark=MARKS[filed.severity],
                kind=render.kind_name(lang, kind),
                correction=render.Html(render.correction(lang, filed.version)),
                time=render.when_text(filed.received_at, tps.province_code, with_date=True) + relay,
                summary=render.Html(render.describe(lang, kind, filed.payload, election)),
            )
        )
    return "\n".join(lines)


async def region_status(context: DeskContext, lang: str, scope: str) -> str:
    """The region's coverage: the digest's figures, as the desk page shows them."""
    async with context.services.transaction() as session:
        setup = await digest.desk_setup(session)
        figures = await digest.region_figures(session, scope, setup=setup, now=context.now())
    region = await scope_label(context, scope, lang)
    return region_status_text(lang, region, figures.total)


@registered()
async def cmd_history(update: Update, context: DeskContext, member: Member) -> None:
    """List the versions filed for a TPS, newest first (optionally of one kind)."""
    args = list(context.args or [])
    kind = next((Kind(a.lower()) for a in args if a.lower() in {k.value for k in Kind}), None)
    rest = [a for a in args if a.lower() not in {k.value for k in Kind}]
    target = _target(member, rest)
    if target is None or level_of(target) is not Level.TPS:
        await reply(update, text(member.language, "checkin.status.history_usage"))
        return
    await show_history(update, context, member, target, kind=kind)


async def show_history(
    update: Update, context: DeskContext, member: Member, target: str, *, kind: Kind | None = None
) -> None:
    """The one history view of a TPS (/riwayat and /tps): newest first, local times."""
    lang, election = member.language, context.services.election
    async with context.services.transaction() as session:
        tps = await checkins.tps_info(session, target)
        versions = await checkins.history(session, target, kind=kind, limit=HISTORY_LIMIT)
    if tps is None:
        await reply(update, text(lang, "checkin.unknown_tps", tps=target))
        return
    if not versions:
        await reply(update, text(lang, "checkin.status.history_empty", tps=tps.label))
        return
    lines = [text(lang, "checkin.status.history_title", tps=tps.label)]
    for filed in versions:
        relay = (
            f" ({text(lang, 'checkin.receipt.relayed', name=filed.filed_by)})"
            if filed.relayed
            else ""
        ) + (f" ({text(lang, 'checkin.status.by_sms')})" if filed.source == "sms" else "")
        lines.append(
            text(
                lang,
                "checkin.status.history_line",
                number=filed.id,
                kind=render.kind_name(lang, filed.kind),
                correction=render.Html(render.correction(lang, filed.version)),
                time=render.when_text(filed.received_at, tps.province_code, with_date=True),
                relay=render.Html(relay),
                summary=render.Html(render.describe(lang, filed.kind, filed.payload, election)),
            )
        )
    await reply(update, "\n".join(lines))


@registered(Role.TPS, Role.CAMAT)
async def cmd_format(update: Update, context: DeskContext, member: Member) -> None:
    """Explain the one-line format with an example per kind."""
    lang = member.language
    parts = [text(lang, "checkin.format.intro")]
    types = ", ".join(type_words(context.services.election))
    parts += [
        text(
            lang,
            f"checkin.format.{kind.value}",
            **({"types": types} if kind is Kind.LOGISTIK else {}),
        )
        for kind in Kind
    ]
    if member.role is Role.CAMAT:
        parts.append(text(lang, "checkin.format.relay", tps=await example_tps(context, member)))
    parts.append(text(lang, "checkin.format.guided"))
    await reply(update, "\n\n".join(parts))
