import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from storage.xlsx import Sheet, workbook_bytes


def test_typed_text_can_never_become_a_formula() -> None:
    book = load_workbook(
        io.BytesIO(
            workbook_bytes(
                [
                    Sheet(
                        "kejadian",
                        ["text", "note", "n", "bad"],
                        [['=HYPERLINK("http://x")', "+62 812", 7, "a\x00b"]],
                    )
                ]
            )
        )
    )
    sheet = book["kejadian"]
    assert [c.value for c in sheet[1]] == ["text", "note", "n", "bad"]
    assert [c.value for c in sheet[2]] == ['\'=HYPERLINK("http://x")', "'+62 812", 7, "ab"]
    assert sheet.freeze_panes == "A2"


def test_sheets_keep_order_types_and_join_lists() -> None:
    when = datetime(2024, 2, 14, 1, 30, tzinfo=UTC)
    data = workbook_bytes(
        [
            Sheet("banjir", ["tps", "photos", "at"], [["3672011001-003", ["f1", "f2"], when]]),
            Sheet("siap", ["tps"], []),
        ]
    )
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["banjir", "siap"]
    assert [c.value for c in book["banjir"][2]] == [
        "3672011001-003",
        "f1, f2",
        datetime(2024, 2, 14, 1, 30),
    ]
    assert book["siap"].max_row == 1
