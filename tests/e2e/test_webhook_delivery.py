"""Issue 9's receipts in webhook mode: a burst above the flood limits, and a receipt Telegram
refuses once, answered as in polling mode (`test_delivery_guarantees`): every stored line
receipted once, no apology, nothing sent twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.health import Role as HealthRole
from domain.outbox import OutStatus
from storage.models import Checkin, OutboxMessage
from tests.e2e.conftest import city_officers, load_city
from tests.e2e.test_webhook import Served, free_port, wait_until, webhook_settings
from tests.fakebot import TELEGRAM_DEFAULT_LIMITS, TELEGRAM_STRICT_LIMITS, FakeBotApi, FakeUser

LINE = "SIAP 06:30 7"


@asynccontextmanager
async def webhook_desk(
    db_url: str, limits: dict[str, Any]
) -> AsyncIterator[tuple[FakeBotApi, Served]]:
    """The real `serve` in webhook mode against a fake Bot API with these flood limits, with
    Kota Cilegon loaded."""
    async with FakeBotApi(**{**limits, "allow_http_webhooks": True}) as api:
        served = Served(webhook_settings(api, db_url, free_port()))
        try:
            await served.wait_role(HealthRole.ACTIVE)
            await wait_until(lambda: api.webhook is not None)
            assert served.running is not None
            await load_city(served.running.services.sessions)
            yield api, served
        finally:
            if not served.task.done():
                await served.finish()


async def officers(
    api: FakeBotApi, sessions: async_sessionmaker[AsyncSession], count: int
) -> list[FakeUser]:
    """`count` TPS officers of Kota Cilegon, each of their own TPS, known to the fake."""
    return [user for user, _ in await city_officers(api, sessions, count, first_id=700_000)]


async def state(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, dict[str, int]]:
    """(check-ins stored, outbox rows per status)."""
    async with sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(Checkin))
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return int(stored or 0), {s: int(n) for s, n in rows.all()}


async def wait_for(
    sessions: async_sessionmaker[AsyncSession],
    lines: int,
    timeout: float,  # noqa: ASYNC109
) -> tuple[int, dict[str, int]]:
    """Until `lines` check-ins are stored and no call is owed any more."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        stored, statuses = await state(sessions)
        owed = statuses.get(OutStatus.PENDING.value, 0) + statuses.get(OutStatus.SENDING.value, 0)
        if stored >= lines and owed == 0:
            return stored, statuses
        assert loop.time() < deadline, (stored, statuses)
        await asyncio.sleep(0.1)


def receipts(api: FakeBotApi, user: FakeUser) -> int:
    return sum(1 for m in api.messages_to(user.id) if "Laporan #" in str(m.get("text")))


@pytest.mark.parametrize("limits", ["telegram", "strict"])
async def test_200_officers_at_once_each_get_one_receipt_by_webhook(
    db_url: str, limits: str
) -> None:
    options = TELEGRAM_DEFAULT_LIMITS if limits == "telegram" else TELEGRAM_STRICT_LIMITS
    async with webhook_desk(db_url, options) as (api, served):
        assert served.running is not None
        sessions = served.running.services.sessions
        people_ = await officers(api, sessions, 200)
        for user in people_:
            user.send_text(LINE)
        assert await api.deliver_webhook_updates() == [200] * 200
        stored, statuses = await wait_for(sessions, 200, timeout=120)
        assert stored == 200
        assert statuses == {OutStatus.SENT.value: 200}
        assert [receipts(api, u) for u in people_] == [1] * 200
        texts = [str(m.get("text")) for u in people_ for m in api.messages_to(u.id)]
        assert not any("coba" in t.lower() for t in texts)


@pytest.mark.parametrize("status", [429, 502])
async def test_a_refused_receipt_arrives_later_once_by_webhook(db_url: str, status: int) -> None:
    async with webhook_desk(db_url, TELEGRAM_DEFAULT_LIMITS) as (api, served):
        assert served.running is not None
        sessions = served.running.services.sessions
        (siti,) = await officers(api, sessions, 1)
        api.fail_next("sendMessage", status=status)
        siti.send_text(LINE)
        assert await api.deliver_webhook_updates() == [200]
        stored, statuses = await wait_for(sessions, 1, timeout=30)
        assert stored == 1 and statuses == {OutStatus.SENT.value: 1}
        texts = [str(m.get("text")) for m in api.messages_to(siti.id)]
        assert len(texts) == 1 and "Laporan #1" in texts[0]  # no apology, nothing else
        assert api.count("sendMessage", chat_id=siti.id) == 2  # refused once, then sent
