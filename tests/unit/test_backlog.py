"""Backpressure (`outbox.backlog.Backlog`): taking more waits while `limit` are in hand."""

from __future__ import annotations

import asyncio

import pytest

from outbox.backlog import Backlog


async def test_room_waits_at_the_limit_and_opens_when_one_is_done() -> None:
    backlog = Backlog(3)
    await asyncio.wait_for(backlog.room(), 1)  # empty: room at once
    backlog.took(3)
    waiting = asyncio.create_task(backlog.room())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    backlog.done()
    await asyncio.wait_for(waiting, 1)
    assert (backlog.count, backlog.peak, backlog.free()) == (2, 3, 1)


async def test_done_without_took_never_goes_below_zero() -> None:
    backlog = Backlog(1)
    backlog.done()  # an update that went in by a path that did not count it
    assert backlog.count == 0
    await asyncio.wait_for(backlog.room(), 1)


async def test_opened_up_it_holds_nothing_back_any_more() -> None:
    backlog = Backlog(1)
    backlog.took(1)
    waiting = asyncio.create_task(backlog.room())
    await asyncio.sleep(0.01)
    backlog.open_up()
    await asyncio.wait_for(waiting, 1)
    backlog.took(1000)
    await asyncio.wait_for(backlog.room(), 1)


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        Backlog(0)
