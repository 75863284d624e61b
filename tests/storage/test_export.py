"""`deskbot export`: every version filed, one sheet per kind, in the desk's local time."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import main
from domain.checkins.kinds import Kind, Source
from domain.checkins.reports import build, payload_of
from domain.rehearsal import DEFAULT_PLAN
from storage import checkins, export, regions, rehearsals, xlsx
from tests.conftest import kpu_data

T0 = datetime(2024, 2, 13, 1, 0, tzinfo=UTC)


async def _load_and_file(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        await regions.import_masterdata(session, kpu_data(regencies=("3672",)))
        for key, tps_id, data, late in [
            ("q:1:1", "3672011001-003", {"water_cm": 10, "usable": True}, False),
            ("q:1:2", "3672011001-003", {"water_cm": 80, "usable": False}, True),
            ("q:1:3", "3672021001-001", {"water_cm": 0, "usable": True}, False),
        ]:
            tps = await checkins.tps_info(session, tps_id)
            assert tps is not None
            report = build(Kind.BANJIR, data)
            await checkins.file_checkin(
                session,
                tps=tps,
                kind=Kind.BANJIR,
                severity=report.severity(),
                payload=payload_of(report),
                source=Source.QUICK,
                filed_by=None,
                filed_by_name="",
                relayed=False,
                sent_at=T0 - (timedelta(hours=1) if late else timedelta(0)),
                received_at=T0,
                dedupe_key=key,
            )


async def test_sheets_hold_every_version_with_local_times(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _load_and_file(sessions)
    async with sessions() as session:
        sheets = await export.checkin_sheets(session, "367201")
    assert [s.name for s in sheets] == [k.value for k in Kind]
    flood = sheets[2]
    assert len(flood.rows) == 2  # the other district's TPS is outside the scope
    row = dict(zip(flood.header, flood.rows[1], strict=True))
    assert (row["version"], row["current"], row["water_cm"], row["level"]) == (2, True, 80, "waist")
    assert row["received_at"] == datetime(2024, 2, 13, 8, 0) and row["zone"] == "WIB"
    assert row["late"] is True and row["desk_severity"] == "critical"
    book = load_workbook(io.BytesIO(xlsx.workbook_bytes(sheets)))
    assert book.sheetnames == [k.value for k in Kind]
    assert book["banjir"]["A1"].value == "id" and book["banjir"].max_row == 3


async def test_the_cli_writes_the_file(
    db_url: str,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await _load_and_file(sessions)
    monkeypatch.setenv("DATABASE_URL", db_url)
    out = tmp_path / "semua.xlsx"
    assert await asyncio.to_thread(main, ["export", "--out", str(out)]) == 0
    assert "Banjir 3" in capsys.readouterr().out
    book = await asyncio.to_thread(load_workbook, out)
    assert book["Banjir"].max_row == 4 and book["TPS siap"].max_row == 1
    assert await asyncio.to_thread(main, ["export", "--out", str(out), "--scope", "x1"]) == 2


async def test_a_rehearsals_sheets_hold_its_newest_versions_and_never_the_real_ones(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The digest's spreadsheet during a rehearsal: its check-ins, as /ekspor shows real ones."""
    await _load_and_file(sessions)
    async with sessions.begin() as session:
        started = await rehearsals.start(session, DEFAULT_PLAN, by=None, now=T0)
        tps = await checkins.tps_info(session, "3672011001-003")
        assert tps is not None
        for key, water in (("r:1", 30), ("r:2", 60)):
            report = build(Kind.BANJIR, {"water_cm": water, "usable": True})
            await checkins.file_checkin(
                session,
                tps=tps,
                kind=Kind.BANJIR,
                severity=report.severity(),
                payload=payload_of(report),
                source=Source.QUICK,
                filed_by=None,
                filed_by_name="",
                relayed=False,
                sent_at=T0,
                received_at=T0,
                dedupe_key=key,
            )
    async with sessions() as session:
        real = await export.checkin_sheets(session, "367201", current_only=True)
        practice = await export.checkin_sheets(session, "367201", rehearsal=started.id)

    def floods(sheets: list[xlsx.Sheet]) -> list[tuple[object, ...]]:
        header = sheets[2].header
        return [
            tuple(
                dict(zip(header, row, strict=True))[c] for c in ("version", "current", "water_cm")
            )
            for row in sheets[2].rows
        ]

    assert floods(real) == [(2, True, 80)]  # the rehearsal left the real current version alone
    assert floods(practice) == [(4, True, 60)]  # its newest, current within the rehearsal
    assert all(not s.rows for s in practice if s.name != Kind.BANJIR.value)
