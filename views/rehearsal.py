"""Texts of rehearsals: the plan, the status, and the report (messages and spreadsheet)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.rehearsal import PersonLine, RehearsalInfo, RehearsalReport
from domain.schedule import offset_text, zone_abbreviation
from storage.xlsx import Sheet
from views.desk import kind_name, local_when, split_lines
from views.texts import text

MAX_LISTED = 40  # people per list in the message; the spreadsheet has everyone


def plan_lines(lang: str, info: RehearsalInfo, zone: ZoneInfo) -> list[str]:
    """What the rehearsal's schedule means in local times."""
    zone_name = zone_abbreviation(zone)
    schedule = info.plan.schedule(info.started_at, zone)
    lines = []
    for kind, rule in sorted(schedule.deadlines.items()):
        assert schedule.election_day is not None
        lines.append(
            text(
                lang,
                "rehearsal.plan_deadline",
                kind=kind_name(lang, kind),
                when=local_when(rule.when.resolve(schedule.election_day, zone), zone),
                zone=zone_name,
                offsets=", ".join(offset_text(m) for m in rule.reminders) or "-",
            )
        )
    if info.plan.digests:
        times = ", ".join(
            local_when(info.started_at + timedelta(minutes=m), zone) for m in info.plan.digests
        )
        lines.append(text(lang, "rehearsal.plan_digests", times=f"{times} {zone_name}"))
    return lines


def _listed(lang: str, people: list[PersonLine], key: str) -> list[str]:
    lines = []
    for person in people[:MAX_LISTED]:
        lines.append(
            text(
                lang,
                key,
                name=person.name,
                role=text(lang, f"common.role.{person.role}"),
                scope=person.scope,
                count=person.filed,
                kinds=", ".join(kind_name(lang, k) for k in person.kinds),
                failed=person.failed_lines,
                cancelled=person.cancelled,
            )
        )
    if len(people) > MAX_LISTED:
        lines.append(text(lang, "rehearsal.report_more", count=len(people) - MAX_LISTED))
    return lines or [text(lang, "rehearsal.report_none")]


def report_messages(lang: str, report: RehearsalReport, zone: ZoneInfo) -> list[str]:
    """The report as messages within Telegram's limit, SIMULASI first."""
    end = report.ended_at or report.started_at
    kinds = (
        ", ".join(f"{kind_name(lang, k)} {n}" for k, n in sorted(report.tps_filed.items())) or "-"
    )
    lines = [
        text(lang, "rehearsal.banner"),
        text(
            lang,
            "rehearsal.report_title",
            id=report.rehearsal_id,
            start=local_when(report.started_at, zone),
            end=local_when(end, zone),
            zone=zone_abbreviation(zone),
        ),
        text(lang, "rehearsal.report_totals", checkins=report.checkins, kinds=kinds),
        "",
        text(lang, "rehearsal.report_filed_title", count=len(report.filed)),
        *_listed(lang, report.filed, "rehearsal.report_filed_line"),
        "",
        text(lang, "rehearsal.report_never_title", count=len(report.never)),
        *_listed(lang, report.never, "rehearsal.report_person_line"),
        "",
        text(lang, "rehearsal.report_help_title", count=len(report.needed_help)),
        *_listed(lang, report.needed_help, "rehearsal.report_help_line"),
    ]
    return split_lines(lines)


def report_sheets(report: RehearsalReport) -> list[Sheet]:
    """One row per officer (everyone), and the TPS that filed per kind."""
    people = Sheet(
        "simulasi",
        ["nama", "peran", "wilayah", "laporan", "jenis", "baris_gagal", "isian_batal", "status"],
    )
    for p in report.people:
        status = "lapor" if p.filed else "belum"
        if p.needed_help:
            status += ", perlu bantuan"
        people.rows.append(
            [p.name, p.role, p.scope, p.filed, ", ".join(p.kinds), p.failed_lines, p.cancelled,
             status]
        )  # fmt: skip
    kinds = Sheet("tps_per_jenis", ["jenis", "tps_lapor"])
    kinds.rows.extend([k, n] for k, n in sorted(report.tps_filed.items()))
    return [people, kinds]


def when(moment: datetime, zone: ZoneInfo) -> tuple[str, str]:
    """(local time, zone name) for status lines."""
    return local_when(moment, zone), zone_abbreviation(zone)
