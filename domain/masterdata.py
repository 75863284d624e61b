"""Reading and validating the KPU 2024 village/TPS list (`tps_pemilu2024.csv.gz` format).

A file is accepted whole or refused whole: `parse_tps_file` collects every bad line with its
number and reason and raises `MasterDataError` listing them all.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HEADER = (
    "kode_provinsi", "provinsi", "kode_kabupaten_kota", "kabupaten_kota", "kode_kecamatan",
    "kecamatan", "kode_desa", "desa", "jumlah_tps",
)  # fmt: skip
MAX_TPS_PER_VILLAGE = 999  # TPS numbers are three digits
MAX_REPORTED_ERRORS = 200


@dataclass(frozen=True, slots=True)
class VillageRow:
    province_code: str
    province: str
    regency_code: str
    regency: str
    district_code: str
    district: str
    village_code: str
    village: str
    tps_count: int


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class MasterDataError(ValueError):
    errors: list[LineError]
    total: int = 0

    def __str__(self) -> str:
        shown = "\n".join(f"  {e}" for e in self.errors[:MAX_REPORTED_ERRORS])
        more = self.total - min(len(self.errors), MAX_REPORTED_ERRORS)
        tail = f"\n  ... and {more} more" if more > 0 else ""
        return f"refused: {self.total} bad line(s), nothing imported\n{shown}{tail}"


@dataclass
class MasterData:
    """Validated rows with the distinct regions they mention."""

    villages: list[VillageRow] = field(default_factory=list)

    def provinces(self) -> dict[str, str]:
        return {v.province_code: v.province for v in self.villages}

    def regencies(self) -> dict[str, tuple[str, str]]:
        return {v.regency_code: (v.province_code, v.regency) for v in self.villages}

    def districts(self) -> dict[str, tuple[str, str]]:
        return {v.district_code: (v.regency_code, v.district) for v in self.villages}

    @property
    def tps_total(self) -> int:
        return sum(v.tps_count for v in self.villages)


def open_text(path: Path) -> io.TextIOBase:
    """Open a plain or gzip-compressed CSV as text."""
    with path.open("rb") as probe:
        gz = probe.read(2) == b"\x1f\x8b"
    if gz:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return io.TextIOWrapper(path.open("rb"), encoding="utf-8-sig", newline="")


def parse_tps_file(
    path: Path, *, provinces: Iterable[str] = (), regencies: Iterable[str] = ()
) -> MasterData:
    """Validate the whole file, then keep the rows inside the given provinces/regencies."""
    try:
        with open_text(path) as handle:
            return parse_rows(csv.reader(handle), provinces=provinces, regencies=regencies)
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as exc:
        raise MasterDataError([LineError(0, f"unreadable file: {exc}")], 1) from exc


def parse_rows(
    rows: Iterator[list[str]], *, provinces: Iterable[str] = (), regencies: Iterable[str] = ()
) -> MasterData:
    errors: list[LineError] = []
    header = next(rows, None)
    if header is None or tuple(h.strip().lower() for h in header) != HEADER:
        got = ",".join(header) if header else "(empty file)"
        raise MasterDataError([LineError(1, f"header must be {','.join(HEADER)}; got {got}")], 1)
    seen_villages: dict[str, int] = {}
    parents: dict[str, tuple[str, str, int]] = {}  # code -> (parent code, name, first line)
    valid: list[VillageRow] = []
    for line, raw in enumerate(rows, start=2):
        if not raw or all(not cell.strip() for cell in raw):
            continue
        row, reason = _check_row(raw)
        if row is None:
            errors.append(LineError(line, reason))
            continue
        if row.village_code in seen_villages:
            errors.append(
                LineError(
                    line,
                    f"village {row.village_code} repeats line {seen_villages[row.village_code]}",
                )
            )
            continue
        seen_villages[row.village_code] = line
        conflict = _check_parents(parents, row, line)
        if conflict:
            errors.append(LineError(line, conflict))
            continue
        valid.append(row)
    if errors:
        raise MasterDataError(errors[:MAX_REPORTED_ERRORS], len(errors))
    wanted_p, wanted_r = set(provinces), set(regencies)
    if wanted_p or wanted_r:
        valid = [v for v in valid if v.province_code in wanted_p or v.regency_code in wanted_r]
    return MasterData(valid)


def _digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


def _check_row(raw: list[str]) -> tuple[VillageRow | None, str]:
    if len(raw) != len(HEADER):
        return None, f"expected {len(HEADER)} columns, found {len(raw)}"
    cells = [c.strip() for c in raw]
    pcode, pname, rcode, rname, dcode, dname, vcode, vname, count = cells
    for label, code, length in (
        ("kode_provinsi", pcode, 2),
        ("kode_kabupaten_kota", rcode, 4),
        ("kode_kecamatan", dcode, 6),
        ("kode_desa", vcode, 10),
    ):
        if not _digits(code, length):
            return None, f"{label} '{code}' must be {length} digits"
    for label, name in (
        ("provinsi", pname),
        ("kabupaten_kota", rname),
        ("kecamatan", dname),
        ("desa", vname),
    ):
        if not name:
            return None, f"{label} is empty"
        if len(name) > 100:
            return None, f"{label} is longer than 100 characters"
    if not rcode.startswith(pcode):
        return None, f"regency {rcode} is not in province {pcode}"
    if not dcode.startswith(rcode):
        return None, f"district {dcode} is not in regency {rcode}"
    if not vcode.startswith(dcode):
        return (
            None,
            f"village {vcode} belongs to district {vcode[:6]}, but the row names district {dcode}",
        )
    try:
        tps = int(count)
    except ValueError:
        return None, f"jumlah_tps '{count}' is not a whole number"
    if tps <= 0:
        return None, f"jumlah_tps must be positive, got {tps}"
    if tps > MAX_TPS_PER_VILLAGE:
        return None, f"jumlah_tps {tps} exceeds {MAX_TPS_PER_VILLAGE}"
    return VillageRow(pcode, pname, rcode, rname, dcode, dname, vcode, vname, tps), ""


def _check_parents(parents: dict[str, tuple[str, str, int]], row: VillageRow, line: int) -> str:
    """A region code must keep one name and one parent through the file."""
    for code, parent, name in (
        (row.province_code, "", row.province),
        (row.regency_code, row.province_code, row.regency),
        (row.district_code, row.regency_code, row.district),
    ):
        known = parents.get(code)
        if known is None:
            parents[code] = (parent, name, line)
        elif known[1] != name:
            return f"code {code} is named '{name}' here but '{known[1]}' on line {known[2]}"
    return ""
