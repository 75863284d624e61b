"""The one check-in export in the reader's language: sheet names, column headers and choice
values worded by the catalogue (`export.toml`). `/ekspor`, `deskbot export`, the desk page's
download and the digest's spreadsheet all write `storage.export.checkin_sheets` through
`workbook`: one column set, local times, one writer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.checkins.kinds import Kind
from domain.checkins.steps import StepKey
from storage.xlsx import Sheet, workbook_bytes
from views.checkins import kind_name, option_label
from views.texts import catalogue, text

# Payload columns whose values are option keys ("weak"): shown as the button's words.
_OPTION_COLUMNS = {
    StepKey.STATUS.value, StepKey.AFFECTED.value, StepKey.LEVEL.value,
    StepKey.OPERATOR.value, StepKey.FALLBACK.value, StepKey.CATEGORY.value,
    StepKey.SEVERITY.value,
}  # fmt: skip


def column_name(lang: str, column: str) -> str:
    """A column header in `lang`: the export's own words, else the check-in field's label."""
    found = catalogue(lang).get(f"export.col.{column}")
    if found is None:
        found = catalogue(lang).get(f"checkin.field.{column}", column)
    return found


def workbook(sheets: Sequence[Sheet], lang: str, election: str) -> bytes:
    """The export's sheets (`storage.export.checkin_sheets`) as .xlsx bytes in `lang` (CPU
    work: run it in a thread)."""
    return workbook_bytes(localized(sheets, lang, election))


def localized(sheets: Sequence[Sheet], lang: str, election: str) -> list[Sheet]:
    """The export's sheets with their names, headers and choice values in `lang`."""
    result = []
    for sheet in sheets:
        kind = Kind(sheet.name)
        # A flood's `level` is the water's (ankle, knee...), not the signal's.
        header = [
            "water_level" if kind is Kind.BANJIR and c == "level" else c for c in sheet.header
        ]
        named = Sheet(
            name=kind_name(lang, kind)[:31], header=[column_name(lang, c) for c in header]
        )
        for row in sheet.rows:
            named.rows.append(
                [
                    _value(lang, column, value, election)
                    for column, value in zip(header, row, strict=True)
                ]
            )
        result.append(named)
    return result


def _value(lang: str, column: str, value: Any, election: str) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if column == "desk_severity":
        return text(lang, f"export.severity.{value}")
    if column == "source":
        return text(lang, f"export.source.{value}")
    if column == "water_level":
        return text(lang, f"export.water.{value}")
    if column in _OPTION_COLUMNS:
        return option_label(lang, column, value, election)
    return value
