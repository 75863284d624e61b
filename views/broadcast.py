"""Broadcast texts: audience descriptions, the summary before sending, progress, reports."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from domain.broadcast import (
    STAR_TENTHS_PER_MESSAGE,
    AudienceKind,
    BroadcastView,
    PaidEstimate,
    RegionAcks,
    Tally,
    progress_bar,
)
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


def stars(lang: str, tenths: int) -> str:
    """Tenths of a Telegram Star as people write it: '12', '12,3' (id) or '12.3' (en)."""
    whole, tenth = divmod(tenths, 10)
    if not tenth:
        return str(whole)
    return f"{whole}{',' if lang == 'id' else '.'}{tenth}"


def duration(lang: str, seconds: int) -> str:
    """'45 detik', '12 menit', '1 jam 5 menit' (minutes rounded up from a minute on)."""
    if seconds < 60:
        return text(lang, "broadcast.duration.seconds", n=max(0, seconds))
    minutes = -(-seconds // 60)
    if minutes < 60:
        return text(lang, "broadcast.duration.minutes", n=minutes)
    return text(lang, "broadcast.duration.hours", h=minutes // 60, m=minutes % 60)


def summary(
    lang: str, b: BroadcastView, audience: str, count: int, paid: PaidEstimate | None = None
) -> str:
    """The summary before Send; with `paid` (the desk allows paid broadcasts) also the paid
    option's cost, time and time saved."""
    key = "broadcast.summary" if count else "broadcast.summary_none"
    body = text(lang, key, id=b.id, audience=audience, count=count)
    if paid is None or not count:
        return body
    offer = text(
        lang,
        "broadcast.paid_offer",
        free_time=duration(lang, paid.free_seconds),
        paid_time=duration(lang, paid.paid_seconds),
        saved=duration(lang, paid.saved_seconds),
        stars=stars(lang, paid.star_tenths),
    )
    return f"{body}\n{offer}"


def _paid_lines(lang: str, b: BroadcastView, tally: Tally) -> str:
    if not b.paid:
        return ""
    spent = stars(lang, tally.paid * STAR_TENTHS_PER_MESSAGE)
    lines = "\n" + text(lang, "broadcast.paid_line", paid=tally.paid, stars=spent)
    if b.stars_out_at is not None:
        lines += "\n" + text(lang, "broadcast.stars_out_line")
    return lines


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
        return text(lang, "broadcast.done", **values) + _paid_lines(lang, b, tally)
    bar = progress_bar(tally.percent)
    body = text(lang, "broadcast.progress", bar=bar, percent=tally.percent, **values)
    return body + _paid_lines(lang, b, tally)


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
        )
        + _paid_lines(lang, b, tally),
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
