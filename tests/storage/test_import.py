"""The KPU list goes in whole or not at all, with the real Banten figures."""

import gzip
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import main
from domain.masterdata import MasterDataError, parse_tps_file
from storage import regions
from storage.models import Tps, Village
from tests.conftest import TPS_FILE, kpu_data

BANTEN = {"provinces": 1, "regencies": 8, "districts": 155, "villages": 1552, "tps": 33276}


async def test_banten_import_gives_the_official_figures_and_is_idempotent(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    data = kpu_data(provinces=("36",))
    async with sessions.begin() as session:
        first = await regions.import_masterdata(session, data)
    async with sessions.begin() as session:
        assert await regions.counts(session) == BANTEN
        before = (await session.execute(select(Tps.id).order_by(Tps.id))).scalars().all()
    assert first.new_tps == 33276
    async with sessions.begin() as session:
        second = await regions.import_masterdata(session, data)
    assert (second.new_tps, second.renamed) == (0, 0)
    async with sessions.begin() as session:
        assert await regions.counts(session) == BANTEN
        after = (await session.execute(select(Tps.id).order_by(Tps.id))).scalars().all()
        serang = await regions.children(session, "3604")
        village = await session.get(Village, "3604052001")
    assert before == after
    assert before[0] == "3601012001-001"
    assert len(serang) > 10 and all(r.code.startswith("3604") for r in serang)
    assert village is not None and village.tps_count == 28


async def test_a_grown_village_gains_only_its_new_tps(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    with gzip.open(TPS_FILE, "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    banten = [lines[0], *[line for line in lines[1:] if line.startswith("36,")][:3]]
    path = tmp_path / "small.csv"
    path.write_text("\n".join(banten) + "\n", encoding="utf-8")
    async with sessions.begin() as session:
        await regions.import_masterdata(session, parse_tps_file(path))
    grown = banten[:]
    cells = grown[1].split(",")
    cells[-1] = str(int(cells[-1]) + 2)
    grown[1] = ",".join(cells)
    path.write_text("\n".join(grown) + "\n", encoding="utf-8")
    async with sessions.begin() as session:
        result = await regions.import_masterdata(session, parse_tps_file(path))
        total = (await session.execute(select(func.count()).select_from(Tps))).scalar_one()
    assert result.new_tps == 2
    assert total == sum(int(line.split(",")[-1]) for line in grown[1:])


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "list.csv"
    path.write_text(body, encoding="utf-8")
    return path


async def test_cli_refuses_a_bad_file_whole_and_imports_nothing(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    header = (
        "kode_provinsi,provinsi,kode_kabupaten_kota,kabupaten_kota,kode_kecamatan,"
        "kecamatan,kode_desa,desa,jumlah_tps"
    )
    good = "36,BANTEN,3604,SERANG,360401,CINANGKA,3604012001,BANTARSARI,3"
    bad_file = _write(
        tmp_path,
        "\n".join(
            [
                header,
                good,
                "36,BANTEN,3604,SERANG,360401,CINANGKA,360401200,PENDEK,2",
                "36,BANTEN,3604,SERANG,360401,CINANGKA,3604022001,SALAH KEC,2",
                "36,BANTEN,3604,SERANG,360401,CINANGKA,3604012003,NOL,0",
            ]
        )
        + "\n",
    )
    monkeypatch.setenv("DATABASE_URL", db_url)
    code = await _main_in_thread(["import-tps", str(bad_file)])
    err = capsys.readouterr().err
    assert code == 1
    assert "3 bad line(s), nothing imported" in err
    assert "line 3: kode_desa '360401200' must be 10 digits" in err
    assert "line 4: village 3604022001 belongs to district 360402" in err
    assert "line 5: jumlah_tps must be positive, got 0" in err
    async with sessions.begin() as session:
        assert (await regions.counts(session))["tps"] == 0

    broken = _write(tmp_path, "kode,nama\n36,BANTEN\n")
    assert await _main_in_thread(["import-tps", str(broken)]) == 1
    assert "line 1: header must be" in capsys.readouterr().err

    ok_file = _write(tmp_path, f"{header}\n{good}\n")
    assert await _main_in_thread(["import-tps", str(ok_file)]) == 0
    assert "1 villages, 3 TPS (3 new" in capsys.readouterr().out
    async with sessions.begin() as session:
        assert (await regions.counts(session))["tps"] == 3


async def _main_in_thread(argv: list[str]) -> int:
    """The CLI runs its own event loop, so call it off this test's loop."""
    import asyncio

    return await asyncio.to_thread(main, argv)


def test_parse_error_type_is_a_value_error() -> None:
    assert issubclass(MasterDataError, ValueError)
