"""Everything filed, as rows per kind: the content of `deskbot export` and digest spreadsheets.

Times are shown in the desk's zone of each TPS's province (with the zone in its own column),
payload fields get one column each, in the order the guided steps ask them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkins.kinds import Kind
from domain.checkins.records import is_late, local_time
from domain.checkins.steps import FLOWS
from storage import checkins
from storage.xlsx import Sheet, build_workbook

COMMON = [
    "id", "tps", "district", "regency", "province", "version", "current", "desk_severity", "source",
    "relayed", "filed_by", "sent_at", "received_at", "zone", "late",
]  # fmt: skip


def payload_columns(kind: Kind) -> list[str]:
    columns = [step.key.value for step in FLOWS[kind]]
    if kind is Kind.BANJIR:
        columns.insert(1, "level")
    return columns


async def checkin_sheets(session: AsyncSession, scope: str = "") -> list[Sheet]:
    """One sheet per kind with every version filed inside `scope` (all of them for '')."""
    sheets = []
    for kind in Kind:
        extra = payload_columns(kind)
        sheet = Sheet(name=kind.value, header=[*COMMON, *extra])
        for row, name in await checkins.all_in_scope(session, scope, kind=kind):
            sent, zone = local_time(row.sent_at, row.province_code)
            received, _ = local_time(row.received_at, row.province_code)
            values: list[Any] = [
                row.id, row.tps_id, row.district_code, row.regency_code, row.province_code,
                row.version, row.is_current, row.severity, row.source, row.relayed, name or "",
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


def ekspor_workbook(
    rows_by_kind: dict[str, list[dict[str, Any]]], sheet_names: dict[str, str]
) -> bytes:
    """The `/ekspor` spreadsheet (also the desk page's export): current check-ins from
    `storage.coverage.export_rows`, one sheet per kind in `Kind` order, named in the reader's
    language (`sheet_names`: kind -> name)."""
    ordered = {sheet_names[k.value]: rows_by_kind.get(k.value, []) for k in Kind}
    return build_workbook(ordered)


def ekspor_filename(scope: str, day: str) -> str:
    return f"ekspor-{scope or 'nasional'}-{day}.xlsx"
