"""A desk with two bots on one fake Telegram (flood limits on, as Telegram's, per bot): people
register through their regency's bot and are bound to it; writing to the other bot tells them
which is theirs; reminders, broadcasts and group messages leave through the recipient's bot
only, each once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot import metrics, runner
from bot.config import Settings
from domain.outbox import Outgoing, Priority
from domain.roles import Role
from reminders.delivery import owe
from storage import regions
from storage.models import AuditLog, DeskBot, DeskGroup, Person
from tests.conftest import FakeClock, kpu_data
from tests.e2e.broadcasting import compose, deliveries_of, send_now, wait_done
from tests.e2e.conftest import Desk
from tests.fakebot import FakeBotApi

SERANG, CILEGON = "3604", "3672"  # Kab. Serang (the larger) and Kota Cilegon, both Banten
SECOND_TOKEN = "654321:SECOND-token"
SECOND = "desk_pemilu_kedua_bot"
SECOND_ID = 654321


@pytest.fixture
async def two_bots(db_url: str, clock: FakeClock) -> AsyncIterator[tuple[Desk, FakeBotApi]]:
    """The desk with its first bot (the fake's own) and a second one on the same server."""
    async with FakeBotApi(allow_http_webhooks=True) as api:
        second = api.add_bot(SECOND_TOKEN, SECOND)
        config = Settings(
            _env_file=None,
            telegram_bot_token=api.token,  # type: ignore[call-arg]
            telegram_extra_bot_tokens=SECOND_TOKEN,
            telegram_api_base_url=api.base_url,
            database_url=db_url,
        )
        # The regions first: the bots' shares are worked out when they start.
        first_run = await runner.start(config, clock=clock, poll_timeout=1)
        async with first_run.services.transaction() as session:
            await regions.import_masterdata(session, kpu_data(regencies=(SERANG, CILEGON)))
        await runner.stop(first_run)
        running = await runner.start(config, clock=clock, poll_timeout=1)
        desk = Desk(api=api, running=running, clock=clock, settings=config)
        try:
            yield desk, second
        finally:
            await runner.stop(desk.running)


async def _tps(desk: Desk, regency: str) -> str:
    from storage.models import Tps

    async with desk.sessions() as session:
        found = await session.scalar(
            select(Tps.id).where(Tps.regency_code == regency).order_by(Tps.id).limit(1)
        )
    assert found is not None
    return found


def _texts(api: FakeBotApi, chat_id: int) -> list[str]:
    return [str(m.get("text") or "") for m in api.messages_to(chat_id)]


async def test_people_are_bound_to_their_regencys_bot_and_reached_only_through_it(
    two_bots: tuple[Desk, FakeBotApi],
) -> None:
    desk, second = two_bots
    first_id = desk.running.app.bot.id
    services = desk.running.services
    assert len(desk.running.apps) == 2
    assert services.desk.several
    # The larger regency goes to the first bot, the other to the second (spread by TPS).
    assert services.desk.regencies == {SERANG: first_id, CILEGON: SECOND_ID}
    async with desk.sessions() as session:
        recorded = {b.id: b.username for b in (await session.scalars(select(DeskBot))).all()}
    assert recorded == {first_id: "desk_pemilu_test_bot", SECOND_ID: SECOND}

    serang_tps, cilegon_tps = await _tps(desk, SERANG), await _tps(desk, CILEGON)
    # Invites link to the bot serving their scope.
    assert services.bot_username_for(cilegon_tps) == SECOND
    assert services.bot_username_for(serang_tps) == "desk_pemilu_test_bot"
    assert services.bot_username_for("36") == "desk_pemilu_test_bot"  # a province: the first

    # Each officer opens the invite of their own regency's bot.
    ani = desk.api.user(801, first_name="Ani")
    budi = second.user(802, first_name="Budi")
    ani.send_text(f"/start {await desk.invite(Role.TPS, serang_tps)}")
    budi.send_text(f"/start {await desk.invite(Role.TPS, cilegon_tps)}")
    await desk.settle()
    assert any("Selamat datang, Ani" in t for t in _texts(desk.api, 801))
    assert any("Selamat datang, Budi" in t for t in _texts(second, 802))
    async with desk.sessions() as session:
        bound = dict((await session.execute(select(Person.telegram_id, Person.bot_id))).all())
        used = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "invite_redeemed"))
        ).all()
    assert bound == {801: first_id, 802: SECOND_ID}
    assert sorted(a.detail["bot"] for a in used) == sorted(["desk_pemilu_test_bot", SECOND])

    # Budi writes to the first bot: he is told which bot is his, and nothing is filed.
    desk.api.user(802, first_name="Budi").send_text("SIAP 06:30 7")
    await desk.settle()
    told = _texts(desk.api, 802)
    assert len(told) == 1 and f"@{SECOND}" in told[0]

    # A reminder round (proactive, queued like the scheduler's): each through their own bot,
    # counted under that bot in /metrics.
    sent_by_second = metrics.SENDS.labels(str(SECOND_ID), "sendMessage")._value.get()
    mark_first, mark_second = desk.api.mark(), second.mark()
    await owe(
        services,
        [
            Outgoing(
                "sendMessage",
                {"chat_id": chat, "text": "Pengingat uji"},
                priority=Priority.REMINDER,
                proactive=True,
                key=f"test-reminder:{chat}",
            )
            for chat in (801, 802)
        ],
    )
    await desk.settle()
    first_sent = [
        r for r in desk.api.requests if r.seq > mark_first and r.ok and r.method == "sendMessage"
    ]
    second_sent = [
        r for r in second.requests if r.seq > mark_second and r.ok and r.method == "sendMessage"
    ]
    assert [r.params["chat_id"] for r in first_sent] == [801]
    assert [r.params["chat_id"] for r in second_sent] == [802]
    assert metrics.SENDS.labels(str(SECOND_ID), "sendMessage")._value.get() == sent_by_second + 1

    # A broadcast from a province admin (on the first bot) reaches each once, through theirs.
    admin = desk.new_user("Admin Banten")
    await desk.member(admin, Role.ADMIN, "36")
    bid, summary = await compose(desk, admin, "Instruksi uji", "all", gap=1.1)
    await send_now(desk, admin, summary, bid)
    final = await wait_done(desk, bid, timeout=60)
    assert "Terkirim: 2 dari 2" in final
    assert deliveries_of(desk, bid) == {801: 1}  # the first bot sent only Ani's
    got = [m for m in second.messages_to(802) if "Instruksi uji" in str(m.get("text"))]
    assert len(got) == 1
    assert not [m for m in desk.api.messages_to(802) if "Instruksi uji" in str(m.get("text"))]

    # A desk group registered through the second bot is written to by the second bot.
    group = second.group(-5002, "Desk Cilegon")
    camat = second.user(803, first_name="Camat")
    await desk.member(camat, Role.ADMIN, CILEGON)
    async with desk.sessions.begin() as session:
        await session.execute(
            Person.__table__.update()  # type: ignore[attr-defined]
            .where(Person.telegram_id == 803)
            .values(bot_id=SECOND_ID)
        )
    group.send_text(camat, "/daftargrup")
    await desk.settle()
    async with desk.sessions() as session:
        registered = await session.get(DeskGroup, -5002)
    assert registered is not None and registered.bot_id == SECOND_ID
    mark_second = second.mark()
    await services.out.send(
        Outgoing(
            "sendMessage",
            {"chat_id": -5002, "text": "Rekap uji"},
            priority=Priority.DIGEST,
            proactive=True,
        ),
        wait=False,
    )
    await desk.settle()
    to_group = [
        r.params["chat_id"]
        for r in second.requests
        if r.seq > mark_second and r.ok and r.method == "sendMessage"
    ]
    assert to_group == [-5002]
    assert desk.api.rate_limited_count == 0 and second.rate_limited_count == 0
