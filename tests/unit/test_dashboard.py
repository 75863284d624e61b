"""The desk page's figures: cards per kind with deadlines, chart bars, URLs, and its words."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.dashboard import (
    BAR_GAP,
    BAR_HEIGHT,
    bars,
    kind_cards,
    percent,
    slug,
    trail,
    unslug,
)
from domain.figures import Counts, RegionRow, Tally, build_figures
from domain.schedule import Day, Deadline, DeskSchedule, When
from storage.dashboard import Event, Mark, Problem
from views.texts import catalogue as bot_catalogue
from web import texts
from web.live import Partials, sse, visible
from web.pages import by_severity

WIB = ZoneInfo("Asia/Jakarta")
SCHEDULE = DeskSchedule(
    election_day=date(2024, 2, 14),
    deadlines={
        "logistik": Deadline("logistik", When(Day(-1), time(18, 0))),  # 13/02 11:00 UTC
        "siap": Deadline("siap", When(Day(0), time(7, 0))),  # 14/02 00:00 UTC
    },
)


def _row(tps: int, **filed: int) -> RegionRow:
    return RegionRow("3672", "Cilegon", tps=tps, filed=dict(filed))


@pytest.mark.parametrize(
    ("now", "filed", "overdue"),
    [
        pytest.param(datetime(2024, 2, 13, 10, 59, tzinfo=UTC), 5, [], id="before-deadline"),
        pytest.param(datetime(2024, 2, 13, 11, 0, tzinfo=UTC), 5, ["logistik"], id="at-deadline"),
        pytest.param(datetime(2024, 2, 13, 12, 0, tzinfo=UTC), 10, [], id="late-but-all-filed"),
        pytest.param(
            datetime(2024, 2, 14, 1, 0, tzinfo=UTC), 9, ["logistik", "siap"], id="both-passed"
        ),
    ],
)
def test_cards_mark_overdue_only_past_the_deadline_with_tps_missing(
    now: datetime, filed: int, overdue: list[str]
) -> None:
    cards = kind_cards(_row(10, logistik=filed, siap=3), schedule=SCHEDULE, zone=WIB, now=now)
    assert [c.kind for c in cards] == ["logistik", "siap", "banjir", "sinyal"]
    assert [c.kind for c in cards if c.overdue] == overdue
    by_kind = {c.kind: c for c in cards}
    assert by_kind["logistik"].deadline == datetime(2024, 2, 13, 11, 0, tzinfo=UTC)
    assert by_kind["banjir"].deadline is None
    assert (by_kind["logistik"].filed, by_kind["logistik"].missing) == (filed, 10 - filed)
    assert by_kind["siap"].share == 30


def test_cards_without_a_schedule_have_no_deadlines() -> None:
    cards = kind_cards(_row(0), schedule=DeskSchedule(), zone=WIB, now=datetime.now(UTC))
    assert all(c.deadline is None and not c.overdue and c.share == 0 for c in cards)


@pytest.mark.parametrize(
    ("filed", "tps", "expected"),
    [(0, 0, 0), (0, 7, 0), (1, 3, 33), (2, 3, 66), (99, 100, 99), (100, 100, 100)],
)
def test_percent_rounds_down_like_the_digest(filed: int, tps: int, expected: int) -> None:
    assert percent(filed, tps) == expected


def _figures(count: int) -> Counts:
    return Counts(
        tps_by_district={f"3672{n:02d}": 10 for n in range(1, count + 1)},
        by_district={f"3672{n:02d}": Tally({"siap": n % 11}) for n in range(1, count + 1)},
        open_incidents={},
        severe_flood_tps=[],
        names={f"3672{n:02d}": f"Kec {n}" for n in range(1, count + 1)},
    )


def test_bars_follow_the_rows_and_keep_the_worst_when_there_are_too_many() -> None:
    figures = build_figures(
        _figures(12), scope="3672", scope_name="Cilegon", at="x", focus_kind="siap",
        overdue_kinds=[],
    )  # fmt: skip
    drawn = bars(figures, "siap")
    assert [b.code for b in drawn] == [r.code for r in figures.rows]
    assert [b.y for b in drawn[:3]] == [0, BAR_HEIGHT + BAR_GAP, 2 * (BAR_HEIGHT + BAR_GAP)]
    assert drawn[2].width == 30.0 and drawn[2].share == 30
    few = bars(figures, "siap", limit=3)
    assert sorted(b.share for b in few) == [0, 10, 10]  # 367211 (11 % 11 = 0), then 1 of 10s


def test_village_rows_come_from_village_counts() -> None:
    counts = Counts(
        tps_by_district={"3672011001": 60, "3672011002": 20},
        by_district={
            "3672011001": Tally({"siap": 30}),
            "3672011002": Tally({"banjir": 2}, {"banjir": 2}, {"banjir": 2}),
        },
        open_incidents={"3672011002": 1},
        severe_flood_tps=[("3672011002-001", "X"), ("3672011002-002", "X")],
        names={"3672011001": "Cibeber", "3672011002": "Kalitimbang"},
    )
    figures = build_figures(
        counts, scope="367201", scope_name="Cibeber", at="x", focus_kind=None,
        overdue_kinds=[], length=10,
    )  # fmt: skip
    assert [(r.code, r.tps) for r in figures.rows] == [("3672011001", 60), ("3672011002", 20)]
    assert figures.total.tps == 80 and figures.total.severe_floods == 2
    assert figures.rows[1].open_incidents == 1


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("nasional", ""),
        ("36", "36"),
        ("3672", "3672"),
        ("367201", "367201"),
        ("3672011001", "3672011001"),
        ("3672011001-003", "3672011001-003"),
        ("367", None),
        ("36x", None),
        ("", None),
        ("../etc", None),
    ],
)
def test_urls_hold_region_codes_only(text: str, code: str | None) -> None:
    assert unslug(text) == code
    if code is not None:
        assert unslug(slug(code)) == code


def test_the_trail_stops_at_the_viewers_scope() -> None:
    assert trail("3672011001-003", "") == ["", "36", "3672", "367201", "3672011001"]
    assert trail("3672011001", "3672") == ["3672", "367201"]
    assert trail("3672", "3672") == []


def test_events_reach_only_viewers_whose_scope_holds_them() -> None:
    at = datetime(2024, 2, 13, 1, tzinfo=UTC)
    event = Event("siap", "3672011001-003", "ok", at, checkin_id=42)
    assert visible(event, "") and visible(event, "3672") and visible(event, "367201")
    assert not visible(event, "367202") and not visible(event, "3671")
    wire = sse(event).decode()
    assert wire.startswith("id: 42\nevent: checkin\ndata: ")
    assert wire.endswith("\n\n")


def test_page_catalogues_have_the_same_keys_and_placeholders() -> None:
    field = re.compile(r"{(\w+)}")
    ids, ens = texts.catalogue("id"), texts.catalogue("en")
    assert set(ids) == set(ens), set(ids) ^ set(ens)
    for key, value in ids.items():
        assert set(field.findall(value)) == set(field.findall(ens[key])), key


@pytest.mark.parametrize("lang", texts.LANGUAGES)
def test_kind_names_match_the_bots_so_exports_are_the_same(lang: str) -> None:
    bot = bot_catalogue(lang)
    page = texts.catalogue(lang)
    for kind in ("logistik", "siap", "banjir", "sinyal", "kejadian"):
        assert page[f"kind.{kind}"] == bot[f"digest.kind.{kind}"]
    for key, value in page.items():  # incident words as officers chose them in the bot
        if key.startswith("incident."):
            assert value == bot[f"checkin.opt.severity.{key.split('.')[1]}"]
        if key.startswith("category."):
            assert value == bot[f"checkin.opt.category.{key.split('.')[1]}"]


def test_numbers_group_thousands_as_the_reader_writes_them() -> None:
    assert texts.number("id", 140327) == "140.327"
    assert texts.number("en", 140327) == "140,327"


async def test_live_pages_share_one_rendering_per_stored_state() -> None:
    partials = Partials()
    calls: list[int] = []

    async def make() -> str:
        calls.append(1)
        await asyncio.sleep(0.01)
        return f"body {len(calls)}"

    first = Mark(10, None)
    bodies = await asyncio.gather(
        *(partials.get(first, ("r", "36", "id"), make) for _ in range(50))
    )
    assert set(bodies) == {"body 1"} and len(calls) == 1
    assert await partials.get(first, ("r", "36", "en"), make) == "body 2"  # another language
    assert await partials.get(Mark(11, None), ("r", "36", "id"), make) == "body 3"  # new data
    assert await partials.get(None, ("r", "36", "id"), make) == "body 4"  # no poller: no cache
    assert await partials.get(None, ("r", "36", "id"), make) == "body 5"


def _problem(n: int, desk: str, minute: int, officer: str | None = None) -> Problem:
    at = datetime(2024, 2, 14, 1, minute, tzinfo=UTC)
    payload = {} if officer is None else {"severity": officer}
    return Problem(n, f"3672011001-{n:03d}", "Cibeber", "banjir", desk, payload, at)


def test_lists_show_the_worst_first_then_the_newest() -> None:
    floods = [
        _problem(1, "warn", 50),
        _problem(2, "severe", 10),
        _problem(3, "critical", 5),
        _problem(4, "severe", 40),
    ]
    assert [p.checkin_id for p in by_severity(floods)] == [3, 4, 2, 1]
    # Incidents: the officer's own severity first (critical > high > medium > low).
    incidents = [
        _problem(5, "warn", 50, "medium"),
        _problem(6, "critical", 10, "critical"),
        _problem(7, "severe", 30, "high"),
        _problem(8, "severe", 40, "high"),
    ]
    assert [p.checkin_id for p in by_severity(incidents)] == [6, 8, 7, 5]
