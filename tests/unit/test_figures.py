"""Digest figures from counts, the change since the last digest, and texts of any size."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.figures import Counts, Tally, build_figures, change, worst_rows
from storage.coverage import MissingTps
from views.desk import (
    MESSAGE_LIMIT,
    digest_caption,
    digest_messages,
    escalation_text,
    split_lines,
)

WIB = ZoneInfo("Asia/Jakarta")
AT = datetime(2024, 2, 13, 23, 0, tzinfo=UTC).isoformat()


def _counts() -> Counts:
    return Counts(
        tps_by_district={"360101": 10, "360102": 20, "360201": 5},
        by_district={
            "360101": Tally(
                filed={"logistik": 9, "banjir": 9},
                problems={"logistik": 1, "banjir": 3},
                serious={"banjir": 1},
            ),
            "360102": Tally(
                filed={"logistik": 5, "sinyal": 7, "kejadian": 2},
                problems={"sinyal": 7, "kejadian": 2},
                serious={"sinyal": 3},
            ),
            "360201": Tally(
                filed={"logistik": 5, "banjir": 1},
                problems={"banjir": 1},
                serious={"banjir": 1},
            ),
        },
        open_incidents={"360102": 1},
        severe_flood_tps=[("3601012001-001", "Desa A"), ("3602012001-004", "Desa <B>")],
        names={
            "3601": "Kab. Pandeglang",
            "3602": "Kab. Lebak",
            "360101": "Sumur",
            "360102": "Cimanggu",
            "360201": "Malingping",
        },
    )


def test_district_counts_roll_up_to_regencies_and_the_province() -> None:
    figures = build_figures(
        _counts(),
        scope="36",
        scope_name="Banten",
        at=AT,
        focus_kind="logistik",
        overdue_kinds=["logistik"],
    )
    assert [(r.code, r.name, r.tps) for r in figures.rows] == [
        ("3601", "Kab. Pandeglang", 30),
        ("3602", "Kab. Lebak", 5),
    ]
    pandeglang, lebak = figures.rows
    assert pandeglang.filed == {"logistik": 14, "banjir": 9, "sinyal": 7, "kejadian": 2}
    assert (pandeglang.floods, pandeglang.severe_floods) == (3, 1)
    assert (lebak.floods, lebak.severe_floods) == (1, 1)
    assert (pandeglang.blank_spots, pandeglang.open_incidents) == (3, 1)
    assert figures.total.tps == 35 and figures.total.filed["logistik"] == 19
    assert figures.overdue == {"logistik": 16}
    # lagging: lowest share of the focus kind among districts that still miss some
    assert [(d.code, d.filed["logistik"], d.tps) for d in figures.lagging] == [
        ("360102", 5, 20),
        ("360101", 9, 10),
    ]


def test_change_since_the_previous_digest() -> None:
    before = build_figures(
        _counts(), scope="36", scope_name="Banten", at=AT, focus_kind="logistik", overdue_kinds=[]
    )
    counts = _counts()
    counts.by_district["360201"].filed["siap"] = 4
    counts.by_district["360102"].filed["logistik"] = 9
    after = build_figures(
        counts, scope="36", scope_name="Banten", at=AT, focus_kind="logistik", overdue_kinds=[]
    )
    delta = change(before, after)
    assert delta is not None
    assert delta.total == {"logistik": 4, "siap": 4, "banjir": 0, "sinyal": 0}
    assert delta.rows["3601"]["logistik"] == 4 and delta.rows["3602"]["siap"] == 4
    assert change(None, after) is None


def test_figures_survive_the_json_round_trip() -> None:
    from domain.figures import Figures

    figures = build_figures(
        _counts(), scope="36", scope_name="Banten", at=AT, focus_kind=None, overdue_kinds=[]
    )
    assert Figures.from_json(figures.to_json()) == figures


def test_digest_text_escapes_names_and_shows_every_figure() -> None:
    figures = build_figures(
        _counts(),
        scope="36",
        scope_name="Banten <Desk>",
        at=AT,
        focus_kind="logistik",
        overdue_kinds=["logistik"],
    )
    (message,) = digest_messages("id", figures, None, zone=WIB)
    assert "Banten &lt;Desk&gt;" in message and "Desa &lt;B&gt;" in message
    assert "14/02 06:00 WIB · 35 TPS" in message
    assert "• Logistik: 19/35 (54%)" in message
    assert "Banjir: 4 TPS, 2 parah" in message and "Blank spot: 3 TPS" in message
    assert "Kejadian terbuka: 1" in message
    assert "Lewat tenggat</b>: Logistik belum lapor di 16 TPS" in message
    assert (
        "<b>Kab. Pandeglang</b> · 30 TPS: logistik 46%, siap 0%, banjir 30%, sinyal 23%" in message
    )
    assert "1. Cimanggu: 25% (5/20)" in message


@pytest.mark.parametrize("regions", [40, 600, 7000], ids=["province", "large", "nation-wide"])
def test_a_huge_desk_gets_a_few_messages_each_within_the_limit(regions: int) -> None:
    counts = Counts(
        tps_by_district={f"{3100 + i:04d}01": 100 for i in range(regions)},
        by_district={f"{3100 + i:04d}01": Tally({"logistik": i % 100}) for i in range(regions)},
        open_incidents={},
        severe_flood_tps=[(f"3101012001-{i:03d}", "Desa & Co") for i in range(1, 400)],
        names={
            f"{3100 + i:04d}": f"Kabupaten Yang Sangat Panjang Namanya {i}" for i in range(regions)
        },
    )
    figures = build_figures(
        counts, scope="", scope_name="Indonesia", at=AT, focus_kind="logistik", overdue_kinds=[]
    )
    messages = digest_messages("en", figures, None, zone=WIB)
    assert 1 <= len(messages) <= 4
    assert all(len(m) <= MESSAGE_LIMIT for m in messages)
    assert "… and 384 more" in "\n".join(messages)
    assert len(digest_caption("en", figures, WIB)) <= 1024
    assert len(worst_rows(figures, 30)) == min(30, len(figures.rows))


def test_split_lines_breaks_only_between_lines() -> None:
    lines = [f"line {i} " + "x" * 90 for i in range(200)]
    parts = split_lines(lines, limit=1000)
    assert all(len(p) <= 1000 for p in parts)
    assert "\n".join(parts).split("\n") == lines


def test_escalation_lists_missing_tps_per_village_and_summarises_beyond_the_limit() -> None:
    missing = [
        MissingTps(f"36010120{v:02d}-{n:03d}", n, f"36010120{v:02d}", f"Desa {v}")
        for v in range(1, 80)
        for n in range(1, 30)
    ]
    body = escalation_text(
        "id",
        "siap",
        district="Sumur",
        district_code="360101",
        missing=missing,
        total=3000,
        deadline=datetime(2024, 2, 14, 0, 0, tzinfo=UTC),
        zone=WIB,
    )
    assert len(body) <= MESSAGE_LIMIT
    assert body.startswith("🚨 <b>Tenggat TPS siap lewat</b> (14/02 07:00 WIB). 2.291 dari 3.000")
    assert "• Desa 1: 001, 002, 003" in body
    assert "TPS lagi. Lihat /belum siap 360101" in body
