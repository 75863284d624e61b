import pytest

from domain.regions import (
    DeskZone,
    Level,
    contains,
    level_of,
    normalize_tps_id,
    parent_codes,
    parse_scope,
    zone_for_province,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("3604012001-003", "3604012001-003", id="canonical"),
        pytest.param("3604012001-3", "3604012001-003", id="short-number"),
        pytest.param(" 3604012001 / 12 ", "3604012001-012", id="slash-and-spaces"),
        pytest.param("3604012001 tps 7", "3604012001-007", id="tps-word"),
        pytest.param("3604012001-000", None, id="zero"),
        pytest.param("360401200-003", None, id="nine-digit-village"),
        pytest.param("3604012001-1000", None, id="four-digit-number"),
        pytest.param("abc", None, id="garbage"),
    ],
)
def test_normalize_tps_id(text: str, expected: str | None) -> None:
    assert normalize_tps_id(text) == expected


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("", Level.NATION),
        ("36", Level.PROVINCE),
        ("3604", Level.REGENCY),
        ("360401", Level.DISTRICT),
        ("3604012001", Level.VILLAGE),
        ("3604012001-003", Level.TPS),
        ("360", None),
        ("36a4", None),
        ("٣٦", None),  # Arabic-Indic digits are digits to Python, not to us
    ],
)
def test_level_of(code: str, level: Level | None) -> None:
    assert level_of(code) is level


def test_contains_and_parents() -> None:
    assert contains("", "3604012001-003")
    assert contains("3604", "3604012001-003")
    assert not contains("3603", "3604012001-003")
    assert parent_codes("3604012001-003") == ["36", "3604", "360401", "3604012001"]
    assert parent_codes("360401") == ["36", "3604"]


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("all", ""),
        ("ID", ""),
        ("36", "36"),
        ("3604012001-3", "3604012001-003"),
        ("x", None),
        ("123", None),
    ],
)
def test_parse_scope(text: str, scope: str | None) -> None:
    assert parse_scope(text) == scope


@pytest.mark.parametrize(
    ("province", "zone"),
    [
        pytest.param("36", DeskZone.WIB, id="banten"),
        pytest.param("11", DeskZone.WIB, id="aceh"),
        pytest.param("61", DeskZone.WIB, id="kalbar"),
        pytest.param("62", DeskZone.WIB, id="kalteng"),
        pytest.param("63", DeskZone.WITA, id="kalsel"),
        pytest.param("64", DeskZone.WITA, id="kaltim"),
        pytest.param("65", DeskZone.WITA, id="kaltara"),
        pytest.param("51", DeskZone.WITA, id="bali"),
        pytest.param("53", DeskZone.WITA, id="ntt"),
        pytest.param("73", DeskZone.WITA, id="sulsel"),
        pytest.param("81", DeskZone.WIT, id="maluku"),
        pytest.param("94", DeskZone.WIT, id="papua-tengah"),
    ],
)
def test_zone_for_province(province: str, zone: DeskZone) -> None:
    assert zone_for_province(province) is zone
