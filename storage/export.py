"""Everything filed, as rows per kind: the one export behind `deskbot export`, `/ekspor`, the
desk page's download and the digest's spreadsheet (`views.exports.workbook` writes it).

Times are shown in the desk's zone of each TPS's province (with the zone in its own column),
payload fields get one column each, in the order the guided steps ask them. Columns and sheets
carry internal names here; `views.exports.localized` words them in the reader's language.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkins.kinds import Kind
from domain.checkins.records import is_late, local_time
from domain.checkins.steps import FLOWS
from storage import checkins
from storage.xlsx import Sheet

COMMON = [
    "id", "tps", "district", "regency", "province", "version", "current", "desk_severity", "source",
    "relayed", "filed_by", "sent_at", "received_at", "zone", "late",
]  # fmt: skip


def payload_columns(kind: Kind) -> list[str]:
    columns = [step.key.value for step in FLOWS[kind]]
    if kind is Kind.BANJIR:
        columns.insert(1, "level")
    return columns


async def checkin_sheets(
    session: AsyncSession,
    scope: str = "",
    *,
    current_only: bool = False,
    rehearsal: int | None = None,
) -> list[Sheet]:
    """One sheet per kind with every version filed inside `scope` (all of them for ''), or
    only the current version of each TPS with `current_only`; with `rehearsal`, that
    rehearsal's newest version of each TPS (its "current" ones)."""
    sheets = []
    for kind in Kind:
        extra = payload_columns(kind)
        sheet = Sheet(name=kind.value, header=[*COMMON, *extra])
        rows = await checkins.all_in_scope(
            session, scope, kind=kind, current_only=current_only, rehearsal=rehearsal
        )
        for row, name in rows:
            sent, zone = local_time(row.sent_at, row.province_code)
            received, _ = local_time(row.received_at, row.province_code)
            # A rehearsal's rows are its newest versions: current within the rehearsal.
            current = row.is_current or rehearsal is not None
            values: list[Any] = [
                row.id, row.tps_id, row.district_code, row.regency_code, row.province_code,
                row.version, current, row.severity, row.source, row.relayed, name or "",
                sent.replace(tzinfo=None), received.replace(tzinfo=None), zone,
                is_late(row.sent_at, row.received_at),
            ]  # fmt: skip
            values += [_value(row.payload.get(column)) for column in extra]
            sheet.rows.append(values)
        sheets.append(sheet)
    return sheets


def _value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"latitude", "longitude"}:
        return f"{value['latitude']}, {value['longitude']}"
    return value
