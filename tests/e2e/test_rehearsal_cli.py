"""`deskbot rehearsal start|end|report|delete` as an operator runs them, on both backends."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import text

from storage.db import create_engine
from tests.e2e.processes import clean_env, run_cli

EXAMPLE = Path(__file__).resolve().parents[2] / "rehearsal.example.toml"


async def cli(*args: str, db_url: str, cwd: Path) -> tuple[int, str]:
    code, out, err = await run_cli(*args, env=clean_env(DATABASE_URL=db_url), cwd=cwd, wait=120)
    return code, out + err


async def audited(db_url: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT action FROM audit_log WHERE action LIKE 'rehearsal%' ORDER BY id")
            )
            return [r[0] for r in rows]
    finally:
        await engine.dispose()


async def test_start_end_report_delete_from_the_command_line(db_url: str, tmp_path: Path) -> None:
    code, said = await cli("rehearsal", "report", "--out", "x.xlsx", db_url=db_url, cwd=tmp_path)
    assert code == 1 and "no ended rehearsal" in said, said
    code, said = await cli(
        "rehearsal", "start", "--config", str(EXAMPLE), db_url=db_url, cwd=tmp_path
    )
    assert code == 0 and "rehearsal 1 started" in said, said
    # In the desk's zone (WIB here), with what the plan means.
    assert re.search(r"rehearsal 1 started \d\d/\d\d \d\d:\d\d WIB\n", said), said
    assert re.search(r"TPS ready: deadline \d\d/\d\d \d\d:\d\d WIB, reminders 15m, 5m", said)
    assert "Rehearsal digests: " in said
    code, said = await cli("rehearsal", "start", db_url=db_url, cwd=tmp_path)
    assert code == 1 and "rehearsal 1 is still running" in said, said
    bad = tmp_path / "bad.toml"
    bad.write_text('[deadlines.pemilu]\nafter = "30m"\n', encoding="utf-8")
    code, said = await cli("rehearsal", "start", "--config", str(bad), db_url=db_url, cwd=tmp_path)
    assert code == 2 and "'pemilu' is not one of logistik" in said, said

    code, said = await cli("rehearsal", "end", db_url=db_url, cwd=tmp_path)
    assert code == 0 and "rehearsal 1 ended" in said, said
    out = tmp_path / "laporan.xlsx"
    code, said = await cli("rehearsal", "report", "--out", str(out), db_url=db_url, cwd=tmp_path)
    assert code == 0 and "0 check-ins" in said, said
    assert load_workbook(out).sheetnames == ["simulasi", "tps_per_jenis"]

    code, said = await cli("rehearsal", "delete", db_url=db_url, cwd=tmp_path)
    assert code == 2 and "--yes" in said, said
    code, said = await cli("rehearsal", "delete", "--yes", db_url=db_url, cwd=tmp_path)
    assert code == 0 and "rehearsal 1 data deleted" in said, said
    code, said = await cli("rehearsal", "delete", "--yes", db_url=db_url, cwd=tmp_path)
    assert code == 1, said
    assert await audited(db_url) == ["rehearsal_started", "rehearsal_ended", "rehearsal_deleted"]
