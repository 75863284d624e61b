"""The command line on a desk's data: a new election's TPS list replaces a region's, bulk
invites for every TPS of a district, and people management, as real `python -m bot` runs."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest
from sqlalchemy import func, select

from domain.roles import Role
from handlers.context import utc_now
from storage import people
from storage.db import create_engine, create_sessionmaker
from storage.models import AuditLog, Invite, Tps
from tests.checkins_seed import add_checkin
from tests.conftest import TPS_FILE
from tests.e2e.processes import clean_env, run_cli

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
KEPT = "3672011001-060"  # Cibeber's last TPS in the Pemilu list: someone filed for it
DROPPED_VILLAGE = "3672011002"


def pilkada_file(folder: Path) -> Path:
    """Kota Cilegon's list with Cibeber village down to 30 TPS and one village gone."""
    with gzip.open(TPS_FILE, "rt", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], [r for r in rows[1:] if r[2] == "3672"]
    out = []
    for row in body:
        if row[6] == DROPPED_VILLAGE:
            continue
        if row[6] == "3672011001":
            row = [*row[:8], "30"]
        out.append(row)
    path = folder / "pilkada2024_cilegon.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *out])
    return path


async def test_a_new_election_list_replaces_the_region_and_keeps_what_was_used(
    db_url: str, tmp_path: Path
) -> None:
    env = clean_env(DATABASE_URL=db_url)
    code, out, err = await run_cli("import-tps", "--kabupaten", "3672", env=env, cwd=tmp_path)
    assert code == 0, err
    engine = create_engine(db_url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            await add_checkin(session, tps_id=KEPT, kind="siap", at=utc_now())
            await people.upsert_member(
                session, telegram_id=77, name="Siti", username=None, role=Role.TPS,
                scope=f"{DROPPED_VILLAGE}-001", language="id", now=utc_now(),
            )  # fmt: skip
        pilkada = pilkada_file(tmp_path)
        code, out, err = await run_cli(
            "import-tps", str(pilkada), "--name", "Pilkada 2024", env=env, cwd=tmp_path
        )
        assert code == 0, err
        assert "2 TPS are not in this list" in out
        assert f"  {KEPT}" in out and f"  {DROPPED_VILLAGE}-001" in out
        async with sessions() as session:
            live = select(func.count()).where(Tps.id.like("3672%"), Tps.retired_at.is_(None))
            assert (await session.execute(live)).scalar_one() == 1247 - 30 - 28  # Kedaleman had 28
            assert await session.get(Tps, "3672011001-031") is None  # unused: deleted
            kept = await session.get(Tps, KEPT)
            assert kept is not None and kept.retired_at is not None
        code, out, _ = await run_cli("tps-lists", env=env, cwd=tmp_path)
        assert out.startswith(
            "3672 KOTA CILEGON: Pilkada 2024 (pilkada2024_cilegon.csv), 1189 TPS, 2 kept"
        )
        assert out.rstrip().endswith("WIB") and "UTC" not in out  # the desk's zone
        code, out, _ = await run_cli("import-tps", str(pilkada), env=env, cwd=tmp_path)
        assert "(0 new, 0 back, 0 removed" in out  # loading the same list changes nothing

        code, out, err = await run_cli(
            "invite", "--role", "tps", "--scope", "367201", "--out", str(tmp_path / "inv.csv"),
            "--bot-username", "desk_bot", env=env, cwd=tmp_path,
        )  # fmt: skip
        assert code == 0, err
        assert (tmp_path / "inv.csv").stat().st_mode & 0o777 == 0o600  # single-use links: private
        with (tmp_path / "inv.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        async with sessions() as session:
            in_district = select(func.count()).where(
                Tps.district_code == "367201", Tps.retired_at.is_(None)
            )
            assert len(rows) == (await session.execute(in_district)).scalar_one()
            assert (await session.execute(select(func.count(Invite.id)))).scalar_one() == len(rows)
            audits = (
                await session.execute(
                    select(AuditLog.detail).where(AuditLog.action == "invites_created")
                )
            ).scalars()
            assert [a["count"] for a in audits] == [len(rows)]  # one command, one record
        assert rows[0]["tps"] == "3672011001-001"
        assert rows[0]["place"] == "TPS 001 CIBEBER, Kec. CIBEBER"
        assert len({r["link"] for r in rows}) == len(rows)
        assert KEPT not in {r["tps"] for r in rows}
    finally:
        await engine.dispose()


async def test_people_are_listed_revoked_and_replaced_from_the_command_line(
    db_url: str, tmp_path: Path
) -> None:
    env = clean_env(DATABASE_URL=db_url)
    assert (await run_cli("import-tps", "--kabupaten", "3672", env=env, cwd=tmp_path))[0] == 0
    engine = create_engine(db_url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            siti = await people.upsert_member(
                session, telegram_id=71, name="Siti", username="siti", role=Role.TPS,
                scope="3672011001-001", language="id", now=utc_now(),
            )  # fmt: skip
            budi = await people.upsert_member(
                session, telegram_id=72, name="Budi", username=None, role=Role.CAMAT,
                scope="367201", language="id", now=utc_now(),
            )  # fmt: skip
        code, out, _ = await run_cli("people", "list", "--scope", "367201", env=env, cwd=tmp_path)
        assert code == 0
        assert f"#{budi.id}  camat" in out and f"#{siti.id}  tps" in out and "@siti" in out
        code, out, _ = await run_cli("people", "revoke", str(budi.id), env=env, cwd=tmp_path)
        assert code == 0 and "revoked" in out
        code, out, _ = await run_cli(
            "people", "handover", "3672011001-001", "--bot-username", "desk_bot",
            env=env, cwd=tmp_path,
        )  # fmt: skip
        assert code == 0 and f"revoked #{siti.id} Siti" in out
        assert "https://t.me/desk_bot?start=" in out
        code, out, _ = await run_cli("people", "list", "--scope", "367201", env=env, cwd=tmp_path)
        assert "nobody is registered" in out
        async with sessions() as session:
            assert await people.member_by_telegram_id(session, 71) is None
            actions = [e.action for e in await people.audit_entries(session)]
        assert actions.count("person_revoked") == 2 and "tps_handed_over" in actions
    finally:
        await engine.dispose()
