"""Three bots, one desk, the real schedule (digests and reminders from a desk.toml), on one fake
Telegram with flood limits on: the schedule is computed once for the desk, each reminder leaves
through its officer's bot and the digest through the bot that is a member of the desk group;
a second tick sends nothing again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot import runner
from domain.roles import Role
from storage import regions
from storage.models import DeskGroup, Tps
from tests.conftest import FakeClock, kpu_data
from tests.e2e.conftest import Desk
from tests.e2e.digest_support import SCHEDULE, run_tick, settings_for
from tests.fakebot import FakeBotApi

# Three regencies of Banten: Kota Cilegon, Kota Serang, Kota Tangerang Selatan.
REGENCIES = ("3672", "3673", "3674")
TOKENS = ("654321:SECOND-token", "765432:THIRD-token")
NAMES = ("desk_pemilu_kedua_bot", "desk_pemilu_ketiga_bot")
GROUP = -100_900


@pytest.fixture
async def three(
    db_url: str, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[tuple[Desk, dict[int, FakeBotApi]]]:
    """The desk with three bots (the fake's own first) and Banten's three cities loaded."""
    config = tmp_path / "desk.toml"
    config.write_text(SCHEDULE, encoding="utf-8")
    async with FakeBotApi(allow_http_webhooks=True) as api:
        fakes = {123456: api}
        for token, name in zip(TOKENS, NAMES, strict=True):
            fakes[int(token.split(":")[0])] = api.add_bot(token, name)
        settings = settings_for(api, db_url, config).model_copy(
            update={"telegram_extra_bot_tokens": SecretStr(",".join(TOKENS))}
        )
        first = await runner.start(settings, clock=clock, poll_timeout=1)
        async with first.services.transaction() as session:
            await regions.import_masterdata(session, kpu_data(regencies=REGENCIES))
        await runner.stop(first)  # the bots' shares are worked out at the start
        running = await runner.start(settings, clock=clock, poll_timeout=1)
        desk = Desk(api=api, running=running, clock=clock, settings=settings)
        try:
            yield desk, fakes
        finally:
            await runner.stop(desk.running)


async def test_reminders_and_digests_leave_once_through_each_recipients_bot(
    three: tuple[Desk, dict[int, FakeBotApi]],
) -> None:
    desk, fakes = three
    services = desk.running.services
    assert len(desk.running.apps) == 3
    serving = services.desk.regencies
    assert sorted(serving) == sorted(REGENCIES) and set(serving.values()) == set(fakes)

    # One officer per city registers through the invite of the bot serving their TPS.
    officers: dict[int, int] = {}  # telegram id -> the bot id that must write to them
    for n, regency in enumerate(REGENCIES):
        async with desk.sessions() as session:
            tps = await session.scalar(
                select(Tps.id).where(Tps.regency_code == regency).order_by(Tps.id).limit(1)
            )
        assert tps is not None
        bot_id = serving[regency]
        assert services.bot_username_for(tps) == fakes[bot_id].state.bot_user["username"]
        telegram_id = 901 + n
        fakes[bot_id].user(telegram_id, first_name=f"KPPS {n}").send_text(
            f"/start {await desk.invite(Role.TPS, tps)}"
        )
        officers[telegram_id] = bot_id
    await desk.settle()

    # A province admin bound to the third bot registers the desk group through it.
    third = fakes[765432]
    admin = third.user(990, first_name="Admin")
    admin.send_text(f"/start {await desk.invite(Role.ADMIN, '36')}")
    await desk.settle()
    third.group(GROUP, "Desk Banten").send_text(admin, "/daftargrup")
    await desk.settle()
    async with desk.sessions() as session:
        group = await session.get(DeskGroup, GROUP)
    assert group is not None and group.bot_id == 765432

    marks = {bot_id: fake.mark() for bot_id, fake in fakes.items()}
    desk.clock.advance(hours=1, minutes=1)  # 09:01 WIB the day before: the first digest
    await run_tick(desk)
    desk.clock.advance(hours=6)  # 15:01 WIB: the logistics reminder, 3 hours before 18:00
    await run_tick(desk)
    await run_tick(desk)  # nothing owed twice
    await desk.settle()

    sent = {
        bot_id: [
            r
            for r in fake.requests
            if r.seq > marks[bot_id] and r.ok and r.method in ("sendMessage", "sendPhoto")
        ]
        for bot_id, fake in fakes.items()
    }
    for telegram_id, bot_id in officers.items():
        reminders = [
            r
            for r in sent[bot_id]
            if r.params["chat_id"] == telegram_id and "Pengingat" in str(r.params.get("text"))
        ]
        assert len(reminders) == 1, (telegram_id, sent[bot_id])
        others = [
            r
            for b, rs in sent.items()
            if b != bot_id
            for r in rs
            if r.params["chat_id"] == telegram_id
        ]
        assert others == []
    digests = [r for r in sent[765432] if r.params["chat_id"] == GROUP]
    assert digests, "the digest went to the group through its member bot"
    assert all(r.params["chat_id"] != GROUP for b, rs in sent.items() if b != 765432 for r in rs)
    texts = [str(r.params.get("text", "")) for r in digests if r.method == "sendMessage"]
    assert len(texts) == len(set(texts))  # each part once
    assert all(fake.rate_limited_count == 0 for fake in fakes.values())
