"""Texts of digests, reminders, escalations, missing lists and TPS histories.

Every value goes through the catalogue's escaping (region and village names too), and every
message is cut on line boundaries to Telegram's 4096 characters, so a desk of any size gets
its digest in a few messages, the longest lists summarised, never rejected.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from domain.checkins.kinds import Kind
from domain.figures import COVERAGE_KINDS, Change, Figures, RegionRow, worst_rows
from domain.schedule import zone_abbreviation
from storage.coverage import MissingTps
from views import chart
from views.texts import Html, text

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
MAX_TEXT_ROWS = 60
MAX_NAMED_FLOODS = 15
MAX_PARTS = 4


def banner(lang: str, rehearsal: bool) -> list[str]:
    """The SIMULASI line that heads everything a rehearsal sends (nothing when real)."""
    return [text(lang, "rehearsal.banner")] if rehearsal else []


def fmt_int(lang: str, value: int) -> str:
    grouped = f"{value:,}"
    return grouped.replace(",", ".") if lang == "id" else grouped


def percent(filed: int, tps: int) -> int:
    """Whole percent, rounded down: 100% only when every TPS has filed."""
    return 100 * filed // tps if tps else 0


def local_when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d/%m %H:%M")


def kind_name(lang: str, kind: str) -> str:
    return text(lang, f"digest.kind.{kind}")


def split_lines(lines: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join lines into messages of at most `limit` characters, breaking only between lines."""
    parts: list[str] = []
    current = ""
    for line in lines:
        if len(line) > limit:  # never happens with our templates; stay within the limit anyway
            line = line[: limit - 1] + "…"
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def _level_name(lang: str, figures: Figures) -> str:
    length = len(figures.rows[0].code) if figures.rows else 6
    return text(
        lang,
        {2: "digest.level_province", 4: "digest.level_regency"}.get(
            length, "digest.level_district"
        ),
    )


def _row_line(lang: str, row: RegionRow, delta: int | None) -> str:
    shares = {kind: percent(row.filed.get(kind, 0), row.tps) for kind in COVERAGE_KINDS}
    return text(
        lang,
        "digest.row",
        name=row.name,
        tps=fmt_int(lang, row.tps),
        floods=row.floods,
        blank=row.blank_spots,
        incidents=row.open_incidents,
        change=Html(text(lang, "digest.change", delta=fmt_int(lang, delta)) if delta else ""),
        **shares,
    )


def digest_messages(
    lang: str,
    figures: Figures,
    change: Change | None,
    *,
    zone: ZoneInfo,
    requested: bool = False,
    rehearsal: bool = False,
) -> list[str]:
    """The digest as one or more HTML messages, each within Telegram's limit; a
    rehearsal's says SIMULASI first."""
    at = datetime.fromisoformat(figures.at)
    zone_name = zone_abbreviation(zone)
    total = figures.total
    lines = [*banner(lang, rehearsal), text(lang, "digest.title", scope=figures.scope_name)]
    lines.append(
        text(
            lang,
            "digest.when",
            when=local_when(at, zone),
            zone=zone_name,
            tps=fmt_int(lang, total.tps),
        )
    )
    if requested:
        lines.append(text(lang, "digest.requested"))
    if not total.tps:
        return [*lines[: 2 + int(rehearsal)], text(lang, "digest.empty")]
    lines += ["", text(lang, "digest.filed_title")]
    for kind in COVERAGE_KINDS:
        delta = change.total.get(kind, 0) if change else 0
        lines.append(
            text(
                lang,
                "digest.filed_line",
                kind=kind_name(lang, kind),
                filed=fmt_int(lang, total.filed.get(kind, 0)),
                tps=fmt_int(lang, total.tps),
                share=percent(total.filed.get(kind, 0), total.tps),
                change=Html(
                    text(lang, "digest.change", delta=fmt_int(lang, delta)) if delta else ""
                ),
            )
        )
    if change is not None:
        since = datetime.fromisoformat(change.since)
        lines.append(text(lang, "digest.change_since", since=local_when(since, zone)))
    lines.append(
        text(
            lang,
            "digest.incidents",
            floods=fmt_int(lang, total.floods),
            severe=fmt_int(lang, total.severe_floods),
            blank=fmt_int(lang, total.blank_spots),
            incidents=fmt_int(lang, total.open_incidents),
        )
    )
    if figures.by_sms:
        lines.append(text(lang, "digest.by_sms", count=fmt_int(lang, figures.by_sms)))
    for kind, missing in sorted(figures.overdue.items()):
        if missing:
            lines.append(
                text(
                    lang,
                    "digest.overdue",
                    kind=kind_name(lang, kind),
                    missing=fmt_int(lang, missing),
                )
            )
    if figures.severe_floods:
        lines += ["", text(lang, "digest.severe_title")]
        for tps, village in figures.severe_floods[:MAX_NAMED_FLOODS]:
            lines.append(text(lang, "digest.severe_line", tps=tps, village=village))
        extra = len(figures.severe_floods) - MAX_NAMED_FLOODS
        if extra > 0:
            lines.append(text(lang, "digest.more", count=fmt_int(lang, extra)))
    lines += ["", text(lang, "digest.rows_title", level=_level_name(lang, figures))]
    shown = worst_rows(figures, MAX_TEXT_ROWS)
    for row in shown:
        row_delta = change.rows.get(row.code, {}).get(figures.focus_kind) if change else None
        lines.append(_row_line(lang, row, row_delta))
    if len(shown) < len(figures.rows):
        lines.append(text(lang, "digest.rows_more", count=len(figures.rows) - len(shown)))
    if figures.lagging:
        lines += ["", text(lang, "digest.lagging_title", kind=kind_name(lang, figures.focus_kind))]
        for rank, row in enumerate(figures.lagging, start=1):
            lines.append(
                text(
                    lang,
                    "digest.lagging_line",
                    rank=rank,
                    name=row.name,
                    share=percent(row.filed.get(figures.focus_kind, 0), row.tps),
                    filed=fmt_int(lang, row.filed.get(figures.focus_kind, 0)),
                    tps=fmt_int(lang, row.tps),
                )
            )
    return split_lines(lines)[:MAX_PARTS]


def digest_caption(lang: str, figures: Figures, zone: ZoneInfo, *, rehearsal: bool = False) -> str:
    return _caption(lang, "digest.caption", figures, zone, rehearsal)


def document_caption(
    lang: str, figures: Figures, zone: ZoneInfo, *, rehearsal: bool = False
) -> str:
    return _caption(lang, "digest.document", figures, zone, rehearsal)


def _caption(lang: str, key: str, figures: Figures, zone: ZoneInfo, rehearsal: bool) -> str:
    at = datetime.fromisoformat(figures.at)
    caption = (
        "\n".join(banner(lang, rehearsal))
        + ("\n" if rehearsal else "")
        + text(
            lang,
            key,
            scope=figures.scope_name,
            when=local_when(at, zone),
            zone=zone_abbreviation(zone),
        )
    )
    return caption[:CAPTION_LIMIT]


def region_status_text(lang: str, region: str, total: RegionRow) -> str:
    """/status for a region: the digest's figures for it (`storage.digest.region_figures`),
    per kind how many TPS filed, their share (rounded down, as in the digest) and how many of
    them report a problem."""
    lines = [
        text(lang, "checkin.status.region_title", region=region, total=fmt_int(lang, total.tps))
    ]
    for kind in Kind:
        filed = total.filed.get(kind.value, 0)
        lines.append(
            text(
                lang,
                "checkin.status.region_line",
                kind=kind_name(lang, kind.value),
                filed=fmt_int(lang, filed),
                percent=percent(filed, total.tps),
                problems=fmt_int(lang, total.problems.get(kind.value, 0)),
            )
        )
    lines += ["", text(lang, "checkin.status.region_hint")]
    return "\n".join(lines)


def reminder_text(
    lang: str,
    kind: str,
    tps: str,
    *,
    deadline: datetime,
    zone: ZoneInfo,
    now: datetime,
    rehearsal: bool = False,
) -> str:
    minutes = max(0, int((deadline - now).total_seconds() // 60))
    left = (
        f"{minutes // 60}j {minutes % 60}m" if lang == "id" else f"{minutes // 60}h {minutes % 60}m"
    )
    body = text(
        lang,
        "digest.reminder",
        kind=kind_name(lang, kind),
        tps=tps,
        deadline=local_when(deadline, zone),
        zone=zone_abbreviation(zone),
        left=left,
    )
    return "\n".join([*banner(lang, rehearsal), body])


def _village_lines(lang: str, rows: Sequence[MissingTps]) -> list[str]:
    lines = []
    for (_, village), group in groupby(rows, key=lambda m: (m.village_code, m.village)):
        numbers = ", ".join(f"{m.number:03d}" for m in group)
        lines.append(text(lang, "digest.escalation_village", village=village, numbers=numbers))
    return lines


def escalation_text(
    lang: str,
    kind: str,
    *,
    district: str,
    district_code: str,
    missing: Sequence[MissingTps],
    total: int,
    deadline: datetime,
    zone: ZoneInfo,
    rehearsal: bool = False,
) -> str:
    """One message, however many TPS are missing: villages that fit, then a count."""
    head = text(
        lang,
        "digest.escalation",
        kind=kind_name(lang, kind),
        deadline=local_when(deadline, zone),
        zone=zone_abbreviation(zone),
        missing=fmt_int(lang, len(missing)),
        total=fmt_int(lang, total),
        district=district,
    )
    body = [*banner(lang, rehearsal), head]
    shown = 0
    room = MESSAGE_LIMIT - len(head) - 120
    for (_, _), group in groupby(missing, key=lambda m: (m.village_code, m.village)):
        chunk = list(group)
        line = _village_lines(lang, chunk)[0]
        if len(line) + 1 > room:
            break
        body.append(line)
        room -= len(line) + 1
        shown += len(chunk)
    if shown < len(missing):
        body.append(
            text(
                lang,
                "digest.escalation_more",
                count=fmt_int(lang, len(missing) - shown),
                kind=kind,
                district_code=district_code,
            )
        )
    return "\n".join(body)


def missing_page_text(
    lang: str,
    kind: str,
    *,
    scope: str,
    total: int,
    rows: Sequence[MissingTps],
    page: int,
    pages: int,
) -> str:
    if not total:
        return text(lang, "digest.belum_none", scope=scope, kind=kind_name(lang, kind))
    head = text(
        lang,
        "digest.belum_title",
        kind=kind_name(lang, kind),
        scope=scope,
        total=fmt_int(lang, total),
        page=page + 1,
        pages=pages,
    )
    return split_lines([head, *_village_lines(lang, rows)])[0]


# matplotlib's pyplot is not thread-safe: one picture at a time.
_RENDER_LOCK = threading.Lock()


def render_chart(figures: Figures, lang: str) -> bytes:
    """The digest's chart (PNG); its spreadsheet is the check-in export (`views.exports`)."""
    labels = {k: kind_name(lang, k) for k in ("logistik", "siap", "banjir", "sinyal")}
    with _RENDER_LOCK:
        return chart.render_chart(figures, labels=labels, title=f"{figures.scope_name} — % TPS")
