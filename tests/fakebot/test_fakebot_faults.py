"""The fake Bot API's faults and flood limits behave as Telegram's do."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from .fixtures import make_bot
from .server import TELEGRAM_DEFAULT_LIMITS, FakeBotApi

USER_ID = 5550001


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as timedelta


def retry_after(api: FakeBotApi) -> int:
    response = api.requests[-1].response
    assert response is not None and api.requests[-1].status == 429
    return int(response["parameters"]["retry_after"])


async def test_injected_429_never_says_zero_and_stops_the_whole_bot(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    fake_api.add_chat(USER_ID)
    fake_api.fail_next("sendMessage", status=429, parameters={"retry_after": 0})
    with pytest.raises(RetryAfter):
        await fake_bot.send_message(USER_ID, "a")
    assert retry_after(fake_api) == 1
    assert fake_api.requests[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    # Telegram refuses everything until the wait is over, other methods and chats too.
    with pytest.raises(RetryAfter):
        await fake_bot.get_me()
    fake_api.add_chat(USER_ID + 1)
    with pytest.raises(RetryAfter):
        await fake_bot.send_message(USER_ID + 1, "b")
    assert retry_after(fake_api) == 1
    assert fake_api.messages_to(USER_ID) == [] and fake_api.messages_to(USER_ID + 1) == []
    await asyncio.sleep(1.05)
    assert (await fake_bot.send_message(USER_ID, "c")).text == "c"
    assert fake_api.count_429() == 3 and fake_api.count_429("getMe") == 1
    assert fake_api.rate_limited_count == 2  # the injected one is not the fake's own


async def test_injected_429_for_one_chat(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    for chat in (USER_ID, USER_ID + 1):
        fake_api.add_chat(chat)
    fake_api.fail_next("sendMessage", status=429, parameters={"retry_after": 5}, flood_scope="chat")
    with pytest.raises(RetryAfter):
        await fake_bot.send_message(USER_ID, "a")
    with pytest.raises(RetryAfter):
        await fake_bot.send_message(USER_ID, "again")
    assert 4 <= retry_after(fake_api) <= 5
    assert (await fake_bot.send_message(USER_ID + 1, "ok")).text == "ok"


async def test_bot_window_429_stops_every_method_until_it_passes() -> None:
    async with FakeBotApi(flood_limits=True, per_bot_rate=2) as api, make_bot(api) as bot:
        for chat in (1, 2, 3):
            api.add_chat(chat)
        await bot.send_message(1, "x")
        await bot.send_message(2, "x")
        with pytest.raises(RetryAfter):
            await bot.send_message(3, "x")
        with pytest.raises(RetryAfter):  # no send: only the wait after the 429 refuses it
            await bot.get_chat(1)
        assert api.rate_limited_count == 2
        await asyncio.sleep(1.05)
        assert (await bot.send_message(3, "x")).text == "x"


async def test_outage_fails_every_method_then_recovers(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_chat(USER_ID)
    fake_api.outage(0.6)
    assert fake_api.in_outage
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await fake_bot.send_message(USER_ID, "a")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await fake_bot.get_updates()
    await asyncio.sleep(0.65)
    assert not fake_api.in_outage
    assert (await fake_bot.send_message(USER_ID, "b")).text == "b"
    statuses = [(r.method, r.status) for r in fake_api.requests]
    assert statuses[-3:] == [("sendMessage", 502), ("getUpdates", 502), ("sendMessage", 200)]


async def test_outage_cuts_a_pending_long_poll(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    poll = asyncio.create_task(fake_bot.get_updates(timeout=20))
    await fake_api.wait_polling()
    fake_api.outage_start("network")
    with pytest.raises((NetworkError, TimedOut)):
        await asyncio.wait_for(poll, 5)
    fake_api.user(USER_ID).send_text("halo")
    with pytest.raises(NetworkError):
        await fake_bot.get_me()
    fake_api.outage_end()
    updates = await fake_bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["halo"]


async def test_replies_exempt_from_the_bulk_cap_when_asked() -> None:
    options = {**TELEGRAM_DEFAULT_LIMITS, "per_bot_rate": 2, "private_burst": 10}
    assert options["cap_replies"] is False
    async with FakeBotApi(**options) as api, make_bot(api) as bot:
        for user_id in (1, 2, 3):
            api.user(user_id).send_text("SIAP")
        for user_id in (1, 2, 3):  # three replies in one second: over 2/s, not refused
            await bot.send_message(user_id, "diterima")
        # one update covers up to three answers; the fourth counts toward the bulk cap
        await bot.send_message(1, "dua")
        await bot.send_message(1, "tiga")
        await bot.send_message(1, "empat")
        api.add_chat(9)
        await bot.send_message(9, "proaktif")
        with pytest.raises(RetryAfter):
            await bot.send_message(9, "proaktif lagi")
        kinds = [r.proactive for r in api.requests if r.method == "sendMessage"]
        assert kinds == [False, False, False, False, False, True, True, None]
        assert api.peak_sends() == 2
        assert api.peak_sends(proactive_only=False) == 7
        assert api.peak_sends_by_chat() == {1: 4, 2: 1, 3: 1, 9: 1}
        assert api.count_429() == 1


async def test_replies_capped_on_request() -> None:
    async with (
        FakeBotApi(flood_limits=True, per_bot_rate=2, cap_replies=True) as api,
        make_bot(api) as bot,
    ):
        for user_id in (1, 2, 3):
            api.user(user_id).send_text("SIAP")
        await bot.send_message(1, "diterima")
        await bot.send_message(2, "diterima")
        with pytest.raises(RetryAfter):
            await bot.send_message(3, "diterima")
        records = [r for r in api.requests if r.method == "sendMessage" and r.flood]
        assert [(r.flood.reply, r.proactive) for r in records if r.flood] == [(True, True)] * 2
        assert api.peak_sends() == 2


async def test_retry_after_zero_cannot_be_answered(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_chat(USER_ID)
    fake_api.fail_next("sendMessage", status=429, parameters={"retry_after": 0.2})
    with pytest.raises(RetryAfter):
        await fake_bot.send_message(USER_ID, "a")
    assert retry_after(fake_api) == 1
    with pytest.raises(ValueError, match="count"):
        fake_api.fail_next("sendMessage", count=0)
    fake_api.fail_next("getChat", status=400, description="Bad Request: chat not found")
    await asyncio.sleep(1.05)
    with pytest.raises(BadRequest, match="Chat not found"):
        await fake_bot.get_chat(USER_ID)


async def test_paid_broadcasts_skip_the_bot_cap_and_cost_a_tenth_of_a_star_each() -> None:
    options = {**TELEGRAM_DEFAULT_LIMITS, "per_bot_rate": 2}
    async with FakeBotApi(**options, stars=1.5) as api, make_bot(api) as bot:
        chats = [USER_ID + i for i in range(20)]
        for chat in chats:
            api.add_chat(chat)
        # Far above the free cap of 2 a second, in well under a second: no 429.
        for chat in chats[:15]:
            await bot.send_message(chat, "paid", allow_paid_broadcast=True)
        assert api.count_429() == 0
        assert api.state.paid_messages == 15 and api.state.star_tenths == 0
        assert api.peak_sends(proactive_only=True) == 0  # none counted against the bot cap
        with pytest.raises(BadRequest, match=r"(?i)balance_too_low"):
            await bot.send_message(chats[15], "paid", allow_paid_broadcast=True)
        assert api.requests[-1].status == 400
        assert api.messages_to(chats[15]) == []
        # Free sends still meet the bot cap.
        await bot.send_message(chats[16], "free")
        await bot.send_message(chats[17], "free")
        with pytest.raises(RetryAfter):
            await bot.send_message(chats[18], "free")


async def test_a_freeze_stops_the_process_before_the_call_is_counted(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    fake_api.add_chat(USER_ID)
    fake_api.freeze_on("sendMessage", 0.2, nth=2)
    assert fake_api.pending_freezes == 1
    await fake_bot.send_message(USER_ID, "a")
    assert fake_api.pending_freezes == 1  # the first call went through untouched
    before = time.monotonic()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    await fake_bot.send_message(USER_ID, "b")
    ticking.cancel()
    records = [r for r in fake_api.requests if r.method == "sendMessage"]
    assert fake_api.pending_freezes == 0
    assert records[-1].flood is not None and records[-1].flood.at - before >= 0.2
    assert ticks <= 5  # the whole loop stopped, not only this call
    with pytest.raises(ValueError, match="nth"):
        fake_api.freeze_on("sendMessage", 0.1, nth=0)
