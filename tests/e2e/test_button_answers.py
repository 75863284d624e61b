"""Every button press is answered exactly once (answerCallbackQuery), silently where the edit
says enough and with a short text where it was refused; answers are not messages."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from domain.roles import Role
from storage.models import AuditLog
from tests.e2e.checkins_helpers import draft_message, stored, tap
from tests.e2e.conftest import DISTRICT, TPS, VILLAGE, Desk
from tests.fakebot import RequestRecord


def answers(calls: list[RequestRecord]) -> list[RequestRecord]:
    return [c for c in calls if c.method == "answerCallbackQuery"]


def messages(calls: list[RequestRecord]) -> list[str]:
    return [c.method for c in calls if c.method != "answerCallbackQuery"]


async def test_a_guided_checkin_answers_every_press_once_and_sends_one_message(
    desk: Desk,
) -> None:
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    mark = desk.api.mark()
    await desk.say(siti, "/banjir")
    presses = ("10", "yes", "no", "yes", "_skip", "send")
    for value in presses:
        calls = await tap(desk, siti, value)
        (answer,) = answers(calls)
        assert answer.ok and "text" not in answer.params  # silent: the edit says enough
    (row,) = await stored(desk)
    assert row.kind == "banjir"
    calls = desk.calls_after(mark)
    assert messages(calls).count("sendMessage") == 1  # the budget: one message, then edits
    assert set(messages(calls)) == {"sendMessage", "editMessageText"}
    assert len(desk.api.callback_answers) == len(presses)


async def test_a_camat_picker_and_a_refused_press_are_answered(desk: Desk) -> None:
    budi = desk.new_user("Budi")
    await desk.member(budi, Role.CAMAT, DISTRICT)
    await desk.say(budi, "/titip")
    for value in (f"v{VILLAGE}", "P1", "P0", f"t{TPS}"):
        (answer,) = answers(await tap(desk, budi, value))
        assert answer.ok
    stale = draft_message(desk, budi)
    await tap(desk, budi, "sinyal")
    calls = await desk.press(budi, stale, "ci:xxxxxxxxxx:kind:sinyal")  # an old draft's button
    (answer,) = answers(calls)
    assert answer.ok and answer.params.get("text")  # refused: says why
    assert messages(calls) == []
    calls = await desk.press(budi, stale, "nonsense:1")
    (answer,) = answers(calls)
    assert "tidak berlaku" in answer.params["text"]


@pytest.mark.parametrize("data", ["lang:en", "lang:id"])
async def test_the_same_button_pressed_twice_is_answered_twice_without_errors(
    desk: Desk, caplog: pytest.LogCaptureFixture, data: str
) -> None:
    caplog.set_level(logging.WARNING)
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    await desk.say(siti, "/bahasa")
    offer = desk.api.last_message(siti.id)
    assert offer is not None
    for _ in range(2):
        (answer,) = answers(await desk.press(siti, offer, data))
        assert answer.ok
    assert len(desk.api.callback_answers) == 2
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert problems == []


@pytest.mark.parametrize("answer", ["y", "n"])
async def test_the_switch_offer_pressed_twice_is_answered_twice_without_errors(
    desk: Desk, caplog: pytest.LogCaptureFixture, answer: str
) -> None:
    """A double tap on "switch to this invite" (or "keep"): both presses answered, the role
    switched at most once, nothing in the log."""
    caplog.set_level(logging.WARNING)
    rina = desk.new_user("Rina")
    await desk.member(rina, Role.TPS, TPS)
    code = await desk.invite(Role.CAMAT, DISTRICT)
    await desk.say(rina, f"/start {code}")
    offer = desk.api.last_message(rina.id)
    assert offer is not None
    data = next(d for _, d in desk.last_buttons(rina.id) if d.startswith(f"inv:{answer}:"))
    for _ in range(2):
        (pressed,) = answers(await desk.press(rina, offer, data))
        assert pressed.ok
    async with desk.sessions() as session:
        switched = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "role_switched"))
        ).all()
    assert len(switched) == (1 if answer == "y" else 0)
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert problems == []
