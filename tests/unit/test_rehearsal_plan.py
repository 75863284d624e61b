"""Rehearsal plans: parsing (file and typed), and the slots beside the real schedule's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.rehearsal import DEFAULT_PLAN, PlanDeadline, RehearsalPlan, rehearsal_slots
from domain.schedule import ScheduleError
from domain.slots import SlotKind

WIB = ZoneInfo("Asia/Jakarta")
START = datetime(2024, 2, 10, 2, 7, tzinfo=UTC)  # 09:07 WIB


@pytest.mark.parametrize(
    ("words", "deadlines", "digests"),
    [
        pytest.param(["siap=30m"], {"siap": PlanDeadline(30, (10, 5))}, (), id="one-deadline"),
        pytest.param(
            ["logistik=1h", "rekap=20m,40"],
            {"logistik": PlanDeadline(60, (10, 5))},
            (20, 40),
            id="hours-and-digests",
        ),
        pytest.param(["siap=7m"], {"siap": PlanDeadline(7, (5,))}, (), id="reminders-that-fit"),
        pytest.param(["REKAP=+15m"], {}, (15,), id="digests-only"),
    ],
)
def test_typed_plans(
    words: list[str], deadlines: dict[str, PlanDeadline], digests: tuple[int, ...]
) -> None:
    plan = RehearsalPlan.from_words(words)
    assert (plan.deadlines, plan.digests) == (deadlines, digests)


@pytest.mark.parametrize(
    ("words", "why"),
    [
        pytest.param(["pemilu=30m"], "is not one of logistik", id="unknown-kind"),
        pytest.param(["siap"], "is not like siap=30m", id="no-value"),
        pytest.param(["siap=soon"], "is not an offset", id="bad-offset"),
        pytest.param(["siap=200h"], "between 1 minute and 7 days", id="too-far"),
        pytest.param(["siap=5000m"], "within three days", id="longer-than-three-days"),
    ],
)
def test_typed_plans_refused(words: list[str], why: str) -> None:
    with pytest.raises(ScheduleError, match=why):
        RehearsalPlan.from_words(words)


def test_empty_plan_refused() -> None:
    with pytest.raises(ScheduleError, match="at least one"):
        RehearsalPlan.from_dict({})


def test_the_stored_form_reads_back() -> None:
    assert RehearsalPlan.from_dict(DEFAULT_PLAN.to_dict()) == DEFAULT_PLAN


def test_slots_are_keyed_apart_and_relative_to_the_start() -> None:
    found = rehearsal_slots(DEFAULT_PLAN, rehearsal_id=4, started_at=START, zone=WIB)
    assert all(s.key.startswith("sim4:") and s.rehearsal_id == 4 for s in found)
    assert len({s.key for s in found}) == len(found)
    by_kind: dict[SlotKind, list[datetime]] = {}
    for slot in found:
        by_kind.setdefault(slot.kind, []).append(slot.due_at)
    minute = START.replace(second=0)
    assert by_kind[SlotKind.ESCALATION] == [
        minute + timedelta(minutes=30),
        minute + timedelta(hours=1),
    ]
    assert by_kind[SlotKind.DIGEST] == [START + timedelta(minutes=m) for m in (20, 45, 75)]
    assert sorted(by_kind[SlotKind.REMINDER]) == sorted(
        minute + timedelta(minutes=m) for m in (15, 25, 45, 55)
    )
    digests = [s for s in found if s.kind is SlotKind.DIGEST]
    assert digests[0].useful_until == digests[1].due_at - timedelta(seconds=1)
