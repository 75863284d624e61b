"""A Bot API outage over a digest time: the digest is owed, and arrives once it is over."""

from __future__ import annotations

import asyncio

from reminders.scheduler import tick
from storage import schedules
from tests.e2e.conftest import Desk
from tests.e2e.digest_support import GROUP, register_group, sdesk

__all__ = ["sdesk"]


async def test_a_digest_due_during_an_outage_arrives_once_after_it(sdesk: Desk) -> None:
    desk = sdesk
    await register_group(desk)
    desk.clock.advance(hours=1)  # 09:00 WIB on H-1: a digest is due
    desk.api.outage_start(status=502)
    finished = await tick(desk.running.app)  # the slot queues its parts: nothing can go out
    assert any(key.startswith("digest:") for key in finished)
    await asyncio.sleep(3)
    assert desk.api.messages_to(GROUP) == []
    desk.api.outage_end()
    await desk.settle(timeout=60)
    sent = desk.api.messages_to(GROUP)
    texts = [m for m in sent if "text" in m]
    photos = [m for m in sent if "photo" in m]
    documents = [m for m in sent if "document" in m]
    assert len(texts) >= 1 and len(photos) == 1 and len(documents) == 1
    assert len({m["message_id"] for m in sent}) == len(sent)
    async with desk.sessions() as session:
        (key,) = [k for k in finished if k.startswith("digest:")]
        slot = await schedules.slot_by_key(session, key)
        assert slot is not None
        parts = await schedules.deliveries(session, slot.id)
    assert parts and all(status == "sent" for _, _, status in parts)
    # a second tick, or a restart, owes nothing more
    await tick(desk.running.app)
    await desk.settle()
    assert len(desk.api.messages_to(GROUP)) == len(sent)
