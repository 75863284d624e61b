"""Helpers for the broadcast end-to-end tests: many officers at once, composing, waiting."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

from sqlalchemy import insert, select

from domain.broadcast import BroadcastStatus
from storage.models import Broadcast, Person, Tps
from tests.e2e.conftest import CITY, Desk
from tests.fakebot import FakeUser, RequestRecord

SEND = {"sendmessage", "sendphoto", "senddocument"}


async def add_officers(desk: Desk, count: int, *, first_id: int = 7_000_000) -> list[int]:
    """Register `count` TPS officers of the city straight in the database (fast), each with a
    private chat the fake server knows; return their Telegram ids. Beyond the city's 1,247 TPS
    a TPS gets more than one officer."""
    now = desk.clock()
    async with desk.sessions.begin() as session:
        stmt = select(Tps.id).where(Tps.regency_code == CITY).order_by(Tps.id).limit(count)
        tps_ids = list((await session.execute(stmt)).scalars())
        rows = [
            {
                "telegram_id": first_id + i,
                "name": f"KPPS {i}",
                "role": "tps",
                "scope_code": tps_ids[i % len(tps_ids)],
                "language": "id",
                "reachable": True,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(count)
        ]
        await session.execute(insert(Person), rows)
    for row in rows:
        desk.api.add_chat(int(row["telegram_id"]), "private", first_name=str(row["name"]))
    return [int(r["telegram_id"]) for r in rows]


def buttons(message: dict[str, object]) -> list[str]:
    markup = message.get("reply_markup") or {}
    assert isinstance(markup, dict)
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


async def compose(
    desk: Desk, sender: FakeUser, body: str, *choices: str, gap: float = 0.0
) -> tuple[int, dict[str, object]]:
    """/siaran, the text, then press the buttons whose data ends with each of `choices` (after
    `bc:<step>:<id>:`); return the broadcast id and the summary message. `gap` spaces the
    steps for a fake server that enforces the one-message-a-second chat limit."""
    await desk.say(sender, "/siaran")
    await asyncio.sleep(gap)
    await desk.say(sender, body)
    picker = desk.api.last_message(sender.id)
    assert picker is not None
    bid = int(re.search(r"bc:a:(\d+):", " ".join(buttons(picker))).group(1))  # type: ignore[union-attr]
    for choice in choices:
        await asyncio.sleep(gap)
        message = desk.api.last_message(sender.id)
        assert message is not None
        data = next(d for d in buttons(message) if d.startswith("bc:") and d.endswith(choice))
        await desk.press(sender, message, data)
    summary = desk.api.last_message(sender.id)
    assert summary is not None
    return bid, summary


async def send_now(desk: Desk, sender: FakeUser, summary: dict[str, object], bid: int) -> None:
    """Press Send and return once delivery has begun (not once it is over: `desk.press` would
    wait for the fake server to fall quiet, which a running broadcast never lets it do)."""
    sender.press(summary, f"bc:ok:{bid}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while loop.time() < deadline:
        async with desk.sessions.begin() as session:
            b = await session.get(Broadcast, bid)
            if b is not None and b.status != BroadcastStatus.DRAFT:
                return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"broadcast {bid} was not confirmed")


async def wait_done(desk: Desk, bid: int, *, timeout: float = 60.0) -> str:  # noqa: ASYNC109
    """Wait until the broadcast is finished and its sender saw the summary; return it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        async with desk.sessions.begin() as session:
            b = await session.get(Broadcast, bid)
            assert b is not None
            status, chat, message_id = b.status, b.sender_chat, b.status_message_id
        if status == BroadcastStatus.DONE:
            shown = next(
                (m for m in desk.api.messages_to(chat) if m["message_id"] == message_id), None
            )
            if shown is not None and "selesai" in shown.get("text", ""):
                return str(shown["text"])
        await asyncio.sleep(0.1)
    raise TimeoutError(f"broadcast {bid} did not finish in {timeout} s")


def deliveries_of(desk: Desk, bid: int, *, ok_only: bool = True) -> Counter[int]:
    """How many times each chat was sent broadcast `bid` (the read button names it)."""
    found: Counter[int] = Counter()
    for record in desk.api.requests:
        if record.method.lower() in SEND and _names(record, bid) and (record.ok or not ok_only):
            found[int(record.params["chat_id"])] += 1
    return found


def _names(record: RequestRecord, bid: int) -> bool:
    markup = record.params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return any(b.get("callback_data") == f"ack:{bid}" for row in rows for b in row)
