import csv
import gzip
import io
from pathlib import Path

import pytest

from domain.masterdata import HEADER, MasterDataError, parse_rows, parse_tps_file

GOOD = ["36", "BANTEN", "3604", "SERANG", "360401", "CINANGKA", "3604012001", "BANTARSARI", "3"]


def rows(*lines: list[str], header: tuple[str, ...] | list[str] = HEADER) -> list[list[str]]:
    return [list(header), *lines]


def with_(**changes: str) -> list[str]:
    row = dict(zip(HEADER, GOOD, strict=True))
    row.update(changes)
    return [row[h] for h in HEADER]


def test_good_rows_give_regions_and_tps() -> None:
    data = parse_rows(iter(rows(GOOD, with_(kode_desa="3604012002", desa="X", jumlah_tps="2"))))
    assert data.provinces() == {"36": "BANTEN"}
    assert data.districts() == {"360401": ("3604", "CINANGKA")}
    assert data.tps_total == 5


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        pytest.param(with_(kode_provinsi="3"), "kode_provinsi '3' must be 2 digits", id="short-province"),
        pytest.param(with_(kode_desa="360401200"), "kode_desa '360401200' must be 10 digits", id="short-village"),
        pytest.param(with_(kode_desa="3604022001"), "village 3604022001 belongs to district 360402", id="village-of-unknown-district"),
        pytest.param(with_(kode_kecamatan="360501"), "district 360501 is not in regency 3604", id="district-elsewhere"),
        pytest.param(with_(jumlah_tps="0"), "jumlah_tps must be positive, got 0", id="zero-tps"),
        pytest.param(with_(jumlah_tps="-2"), "jumlah_tps must be positive, got -2", id="negative-tps"),
        pytest.param(with_(jumlah_tps="dua"), "jumlah_tps 'dua' is not a whole number", id="text-tps"),
        pytest.param(with_(desa=""), "desa is empty", id="empty-name"),
        pytest.param(GOOD[:5], "expected 9 columns, found 5", id="short-row"),
    ],
)  # fmt: skip
def test_bad_row_is_reported_with_line_and_reason(row: list[str], reason: str) -> None:
    with pytest.raises(MasterDataError) as caught:
        parse_rows(iter(rows(GOOD, row)))
    assert caught.value.total == 1
    error = caught.value.errors[0]
    assert error.line == 3
    assert reason in error.reason


def test_every_bad_line_is_listed_and_nothing_is_kept() -> None:
    bad = rows(with_(jumlah_tps="0"), GOOD, with_(kode_desa="1"), GOOD)
    with pytest.raises(MasterDataError) as caught:
        parse_rows(iter(bad))
    assert [e.line for e in caught.value.errors] == [2, 4, 5]
    assert "repeats line 3" in caught.value.errors[2].reason
    assert "3 bad line(s), nothing imported" in str(caught.value)


def test_broken_header_is_refused() -> None:
    with pytest.raises(MasterDataError) as caught:
        parse_rows(iter(rows(GOOD, header=["kode", "nama"])))
    assert caught.value.errors[0].line == 1
    assert "header must be" in caught.value.errors[0].reason


def test_conflicting_region_names_are_refused() -> None:
    other = with_(kode_desa="3604012002", kecamatan="LAIN")
    with pytest.raises(MasterDataError) as caught:
        parse_rows(iter(rows(GOOD, other)))
    assert "named 'LAIN' here but 'CINANGKA' on line 2" in caught.value.errors[0].reason


def test_filters_keep_only_the_asked_regions() -> None:
    jabar = ["32", "JAWA BARAT", "3201", "BOGOR", "320101", "CIBINONG", "3201012001", "A", "4"]
    data = parse_rows(iter(rows(GOOD, jabar)), regencies=["3201"])
    assert [v.village_code for v in data.villages] == ["3201012001"]


def test_plain_and_gzip_files(tmp_path: Path) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows(GOOD))
    plain = tmp_path / "list.csv"
    plain.write_text(buffer.getvalue(), encoding="utf-8")
    packed = tmp_path / "list.csv.gz"
    packed.write_bytes(gzip.compress(buffer.getvalue().encode()))
    assert parse_tps_file(plain).tps_total == 3
    assert parse_tps_file(packed).tps_total == 3


def test_binary_garbage_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.csv.gz"
    junk.write_bytes(b"\x1f\x8b" + bytes(range(256)))
    with pytest.raises(MasterDataError):
        parse_tps_file(junk)
