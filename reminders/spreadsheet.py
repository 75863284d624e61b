"""Spreadsheets: one sheet per kind, one row per mapping, columns from the mappings' keys.

`build_workbook(rows_by_kind) -> bytes` is the whole interface (the check-in export can use
it too). Written in openpyxl's write-only mode, so a province's worth of rows stays in budget.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ILLEGAL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        # Excel has no zones: write UTC wall time, the header says so.
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    if isinstance(value, dict | list | tuple):
        value = json.dumps(value, ensure_ascii=False, default=str)
    text = str(value)
    if any(ch in _ILLEGAL for ch in text):
        text = "".join(ch for ch in text if ch not in _ILLEGAL)
    # A leading "=" would make a formula out of what somebody typed.
    return "'" + text if text.startswith(("=", "+", "-", "@")) else text


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def build_workbook(rows_by_kind: Mapping[str, Sequence[Mapping[str, Any]]]) -> bytes:
    """An .xlsx with one sheet per key of `rows_by_kind` (in order), header row first."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for kind, rows in rows_by_kind.items():
        sheet = book.create_sheet(title=str(kind)[:31] or "data")
        columns = _columns(rows)
        header = []
        for name in columns:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in rows:
            sheet.append([_cell(row.get(name)) for name in columns])
    if not rows_by_kind:
        book.create_sheet(title="kosong")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
