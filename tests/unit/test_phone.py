"""Phone numbers: one E.164 form however written; who an SMS sender is."""

import pytest

from domain.phone import PhoneError, SenderKind, classify_sender, normalise_phone

SAME = "+6281234567890"


@pytest.mark.parametrize(
    "raw",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "(0812) 3456.7890",
        "6281234567890",
        "+6281234567890",
        "+62 812 3456 7890",
        "+62 0812 3456 7890",
        "006281234567890",
        "81234567890",
        " 081234567890 ",
    ],
)
def test_every_way_of_writing_a_number_is_one_number(raw: str) -> None:
    assert normalise_phone(raw) == SAME


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("021-5551234", "+62215551234"),  # a Jakarta landline
        ("+60123456789", "+60123456789"),  # Malaysia keeps its own code
        ("0811111111", "+62811111111"),  # the shortest mobile numbers (10 digits national)
    ],
    ids=["landline", "foreign", "short-mobile"],
)
def test_other_numbers_keep_their_shape(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "TELKOMSEL", "0812abc4567", "0812", "+62812345678901234", "12345", "++62812"],
    ids=["empty", "name", "letters", "too-short", "too-long", "no-prefix", "double-plus"],
)
def test_what_is_not_a_number_is_refused(raw: str) -> None:
    with pytest.raises(PhoneError):
        normalise_phone(raw)


@pytest.mark.parametrize(
    ("sender", "kind"),
    [
        ("+6281234567890", SenderKind.NUMBER),
        ("081234567890", SenderKind.NUMBER),
        ("TELKOMSEL", SenderKind.ALPHANUMERIC),
        ("INFO-XL", SenderKind.ALPHANUMERIC),
        ("AXIS 123", SenderKind.ALPHANUMERIC),
        ("363", SenderKind.SHORT_CODE),
        ("8999", SenderKind.SHORT_CODE),
        ("+62888", SenderKind.SHORT_CODE),
        ("+6281100000000", SenderKind.OWN),
        ("081100000000", SenderKind.OWN),
        ("", SenderKind.ALPHANUMERIC),
    ],
)
def test_senders_are_told_apart(sender: str, kind: SenderKind) -> None:
    assert classify_sender(sender, own_numbers=frozenset({"+6281100000000"})) is kind
