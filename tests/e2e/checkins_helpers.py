"""Acting on guided check-ins in end-to-end tests: find and press the draft's buttons."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Checkin, Conversation
from tests.e2e.conftest import Desk
from tests.fakebot import FakeUser, RequestRecord


def draft_message(desk: Desk, user: FakeUser) -> dict[str, Any]:
    """The bot's newest message to this user that carries check-in buttons."""
    for message in reversed(desk.api.messages_to(user.id)):
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        if any(b.get("callback_data", "").startswith("ci:") for row in rows for b in row):
            return message
    raise AssertionError(f"no check-in message with buttons for {user.id}")


def button_data(desk: Desk, user: FakeUser, value: str) -> str:
    """The callback data of the button whose value (last data field) is `value`."""
    message = draft_message(desk, user)
    for row in message["reply_markup"]["inline_keyboard"]:
        for b in row:
            if b.get("callback_data", "").split(":")[-1] == value:
                return str(b["callback_data"])
    labels = [
        b.get("callback_data") for row in message["reply_markup"]["inline_keyboard"] for b in row
    ]
    raise AssertionError(f"no button {value!r} in {labels}")


async def tap(desk: Desk, user: FakeUser, value: str) -> list[RequestRecord]:
    """Press the button with this value on the user's check-in message."""
    data = button_data(desk, user, value)
    return await desk.press(user, draft_message(desk, user), data)


async def stored(desk: Desk, **where: Any) -> list[Checkin]:
    async with desk.sessions() as session:
        stmt = select(Checkin).order_by(Checkin.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(Checkin, key) == value)
        return list((await session.execute(stmt)).scalars())


async def conversation(desk: Desk, user: FakeUser) -> Conversation | None:
    async with desk.sessions() as session:
        return await session.get(Conversation, user.id)


def now_ts(desk: Desk) -> float:
    return desk.clock().timestamp()
