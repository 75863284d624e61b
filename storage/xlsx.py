"""The one spreadsheet writer: named sheets of a header row and value rows, to .xlsx bytes.

Used by the check-in export (`views.exports.workbook`: `deskbot export`, `/ekspor`, the desk
page and the digest attachment) and the rehearsal report. Written in openpyxl's
write-only mode, so a province's worth of rows stays within memory. Values keep their type
(numbers stay numbers; datetimes must be naive local or UTC wall times, since Excel has no
zones); text that people typed is made safe: control characters dropped, and a leading
`=`, `+`, `-` or `@` quoted so a spreadsheet never runs what an officer wrote as a formula.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_SHEET_NAME = 31  # Excel's limit
MAX_COLUMN_WIDTH = 60
_ILLEGAL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


@dataclass
class Sheet:
    name: str
    header: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """Write the sheets into one workbook: bold frozen header, filter, fitted column widths."""
    # openpyxl on first use: it costs 0.2 s to import, which every `deskbot` command paid.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        ws = book.create_sheet(title=sheet.name[:MAX_SHEET_NAME] or "data")
        ws.freeze_panes = "A2"
        for index, title in enumerate(sheet.header, start=1):
            longest = max(
                [len(str(title))] + [len(str(r[index - 1] or "")) for r in sheet.rows[:500]]
            )
            ws.column_dimensions[get_column_letter(index)].width = min(
                MAX_COLUMN_WIDTH, longest + 2
            )
        if sheet.header:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.header))}{len(sheet.rows) + 1}"
        header = []
        for title in sheet.header:
            cell = WriteOnlyCell(ws, value=str(title))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            ws.append([_cell(v) for v in row])
    if not sheets:
        book.create_sheet(title="kosong")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    if isinstance(value, list | tuple | set):
        value = ", ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, default=str)
    text = "".join(ch for ch in str(value) if ch not in _ILLEGAL)
    return "'" + text if text.startswith(("=", "+", "-", "@")) else text
