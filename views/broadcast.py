"""Broadcast texts: audience descriptions, the summary before sending, progress, reports."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from domain.broadcast import AudienceKind, BroadcastView, RegionAcks, Tally, progress_bar
from domain.outbox import Outgoing
from domain.roles import Role
from domain.schedule import desk_time
from outbox import messages
from storage import digest, regions
from views.texts import role_name, text

MAX_REPORT_LINES = 30


async def region_name(session: AsyncSession, code: str) -> str:
    found = await regions.region(session, code)
    return found.name if found else code


async def audience_label(session: AsyncSession, lang: str, b: BroadcastView) -> str:
    """'Camat in KOTA CILEGON', 'TPS officers in ... who have not filed logistics', ..."""
    audience = b.audience
    if audience is None:
        return "-"
    scope = await region_name(session, b.scope)
    if audience.kind is AudienceKind.ROLE:
        return text(
            lang, "broadcast.audience.role", role=role_name(lang, Role(audience.value)), scope=scope
        )
    if audience.kind is AudienceKind.REGION:
        region = await region_name(session, audience.value)
        return text(lang, "broadcast.audience.region", region=f"{region} ({audience.value})")
    if audience.kind is AudienceKind.NOT_FILED:
        kind = text(lang, f"broadcast.kind.{audience.value}")
        return text(lang, "broadcast.audience.not_filed", scope=scope, kind=kind)
    if audience.kind is AudienceKind.RESEND:
        return text(lang, "broadcast.audience.resend", id=audience.value)
    return text(lang, "broadcast.audience.all", scope=scope)


def summary(lang: str, b: BroadcastView, audience: str, count: int) -> str:
    key = "broadcast.summary" if count else "broadcast.summary_none"
    return text(lang, key, id=b.id, audience=audience, count=count)


def progress(lang: str, b: BroadcastView, audience: str, tally: Tally) -> str:
    values = {
        "id": b.id,
        "audience": audience,
        "total": tally.total,
        "sent": tally.sent,
        "blocked": tally.blocked,
        "failed": tally.failed,
        "uncertain": tally.uncertain,
        "acked": tally.acked,
    }
    if tally.finished:
        return text(lang, "broadcast.done", **values)
    bar = progress_bar(tally.percent)
    return text(lang, "broadcast.progress", bar=bar, percent=tally.percent, **values)


async def report(
    session: AsyncSession,
    lang: str,
    b: BroadcastView,
    audience: str,
    tally: Tally,
    by_region: list[RegionAcks],
) -> str:
    lines = [
        text(
            lang,
            "broadcast.report_header",
            id=b.id,
            date=desk_time(b.created_at, (await digest.desk_setup(session)).zone),
            audience=audience,
            sent=tally.sent,
            total=tally.total,
            acked=tally.acked,
            not_acked=tally.total - tally.acked,
        ),
        "",
    ]
    for entry in by_region[:MAX_REPORT_LINES]:
        name = await region_name(session, entry.code)
        lines.append(
            text(lang, "broadcast.report_line", name=name, acked=entry.acked, total=entry.total)
        )
    if len(by_region) > MAX_REPORT_LINES:
        more = len(by_region) - MAX_REPORT_LINES
        lines.append(text(lang, "broadcast.report_more", count=more))
    return "\n".join(lines)


def preview_calls(chat_id: int, b: BroadcastView, *, key: str | None) -> list[Outgoing]:
    """The broadcast as its recipients will see it, without the read button, for the sender."""
    if b.media_type in ("photo", "document") and b.media_file_id:
        return messages.file_message(
            chat_id, b.media_type, file_id=b.media_file_id, caption=b.text or "", key=key
        )
    return messages.text_message(chat_id, b.text, key=key)
