"""The inbox and the update processor: stored once, handled once, failures set aside."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update

from bot.processor import PerPersonProcessor
from outbox.inbox import Inbox, UpdateScope, current
from storage import inbox as rows
from tests.conftest import FakeClock


def raw_update(update_id: int, user: int, text: str) -> dict[str, Any]:
    chat = {"id": user, "type": "private", "first_name": "Siti"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": chat,
            "from": {"id": user, "is_bot": False, "first_name": "Siti"},
            "text": text,
        },
    }


async def test_an_update_is_stored_once_and_replayed_until_handled(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    inbox = Inbox(sessions, bot_id=7, clock=clock)
    first = await inbox.take([raw_update(1, 10, "a"), raw_update(2, 10, "b")])
    assert [u.get("message", {}).get("text") for u in first] == ["a", "b"]
    # Telegram delivers 2 again (its offset was not confirmed) with a new 3.
    again = await inbox.take([raw_update(2, 10, "b"), raw_update(3, 11, "c")])
    assert again == [{"update_id": 2}, raw_update(3, 11, "c")]
    assert not await inbox.take_one(raw_update(3, 11, "c"))
    inbox.handled(1)
    await inbox.flush()
    assert [u["update_id"] for u in await inbox.pending()] == [2, 3]
    # Another bot's update 1 is another update.
    assert await Inbox(sessions, bot_id=8, clock=clock).take_one(raw_update(1, 10, "x"))


async def test_a_failing_update_is_tried_again_then_set_aside_without_blocking(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    processor = PerPersonProcessor()
    tries: list[str] = []
    told: list[int] = []

    async def handle(update: Update) -> None:
        text = update.effective_message.text if update.effective_message else ""
        tries.append(str(text))
        scope = current()
        assert scope is not None
        if text == "boom":
            scope.error = RuntimeError("handler failed")

    def resubmit(raw: dict[str, Any]) -> None:
        update = Update.de_json(raw, None)
        asyncio.get_running_loop().create_task(processor.process_update(update, handle(update)))

    async def apologise(update: Update, scope: UpdateScope) -> None:
        told.append(update.update_id)

    inbox = Inbox(sessions, bot_id=7, clock=clock, resubmit=resubmit)
    processor.inbox, processor.on_set_aside = inbox, apologise
    await inbox.take([raw_update(1, 10, "boom"), raw_update(2, 10, "fine")])
    for raw in (raw_update(1, 10, "boom"), raw_update(2, 10, "fine")):
        update = Update.de_json(raw, None)
        await processor.process_update(update, handle(update))
    assert tries == ["boom", "fine"]  # the failure did not hold up the next update
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while not told:
        assert loop.time() < deadline, tries
        await asyncio.sleep(0.05)
    assert tries.count("boom") == 3 and told == [1]
    await inbox.flush()
    async with sessions() as session:
        count, aside = await rows.set_aside(session)
    assert count == 1 and aside[0].update_id == 1 and aside[0].attempts == 3
    assert "handler failed" in aside[0].error
    assert [u["update_id"] for u in await inbox.pending()] == []


async def test_updates_handled_long_ago_are_deleted_and_their_ids_are_new_again(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    """Telegram redelivers an update within a day at most; after two days a handled one is
    deleted (what people typed goes with it), a set-aside one after fourteen (/gagal shows
    it until then), a pending one never. An id Telegram uses again after that is a new
    update, handled, not swallowed as a redelivery."""
    from datetime import timedelta

    from outbox.inbox import KEEP_HANDLED, KEEP_SET_ASIDE

    inbox = Inbox(sessions, bot_id=7, clock=clock)
    await inbox.take([raw_update(n, 10, f"/start kode{n}") for n in (1, 2, 3, 4)])
    inbox.handled(1)
    await inbox.flush()
    await inbox.failed(2, raw_update(2, 10, "x"), RuntimeError("boom"))  # no resubmit: aside
    clock.advance(seconds=(KEEP_HANDLED + timedelta(minutes=1)).total_seconds())
    inbox.handled(3)  # handled just now: kept
    await inbox.flush()
    assert await inbox.prune() == 1  # update 1
    assert not await inbox.take_one(raw_update(3, 10, "again"))  # a redelivery: not new
    clock.advance(seconds=KEEP_SET_ASIDE.total_seconds())
    assert await inbox.prune() == 2  # update 2 (set aside), update 3
    assert [u["update_id"] for u in await inbox.pending()] == [4]  # pending: never deleted
    assert await inbox.take_one(raw_update(1, 11, "an id used again"))
    async with sessions() as session:
        count, _ = await rows.set_aside(session)
    assert count == 0
