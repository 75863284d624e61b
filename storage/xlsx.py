"""A small spreadsheet writer: named sheets of a header row and value rows, to .xlsx bytes.

Used by `deskbot export` and by digests (their attachment); values are written as they are
(numbers stay numbers, datetimes must be naive local times: Excel has no time zones).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

MAX_SHEET_NAME = 31  # Excel's limit
MAX_COLUMN_WIDTH = 60


@dataclass
class Sheet:
    name: str
    header: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """Write the sheets into one workbook: bold frozen header, filter, fitted column widths."""
    book = Workbook(write_only=False)
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(sheet.name[:MAX_SHEET_NAME])
        ws.append(list(sheet.header))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
        if sheet.header:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.header))}{len(sheet.rows) + 1}"
        for index, title in enumerate(sheet.header, start=1):
            longest = max(
                [len(str(title))] + [len(str(r[index - 1] or "")) for r in sheet.rows[:500]]
            )
            ws.column_dimensions[get_column_letter(index)].width = min(
                MAX_COLUMN_WIDTH, longest + 2
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return value
