"""Webhook mode in-process: the real `serve`, the fake Bot API posting updates like Telegram."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot import runner
from bot.config import Settings
from bot.health import Role
from bot.serve import serve
from storage.models import InboxUpdate
from tests.fakebot import FakeBotApi

SECRET = "s3cret-Token_for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_settings(api: FakeBotApi, db_url: str, port: int, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=api.token,
        telegram_api_base_url=api.base_url,
        database_url=db_url,
        webhook_url=f"http://127.0.0.1:{port}/tg/hook",
        webhook_secret=SECRET,
        webhook_port=port,
        # loopback; Telegram itself requires HTTPS
        **{"webhook_allow_http": True, **extra},
    )


async def wait_until(check: Callable[[], bool], timeout: float = 15.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.02)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """The fake Bot API, accepting these tests' plain-http webhook on loopback."""
    async with FakeBotApi(allow_http_webhooks=True) as fake:
        yield fake


class Served:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stop = asyncio.Event()
        self.running: runner.Running | None = None
        self.lost = 0
        self.task = asyncio.create_task(
            serve(settings, self.stop, on_lost=self._lost, on_running=self._set)
        )

    def _set(self, running: runner.Running) -> None:
        self.running = running

    def _lost(self) -> None:
        self.lost += 1

    @property
    def role(self) -> Role | None:
        return None if self.running is None else self.running.health.role

    async def wait_role(self, role: Role) -> None:
        await wait_until(lambda: self.task.done() or self.role is role)
        if self.task.done():
            self.task.result()
        assert self.role is role

    async def finish(self) -> int:
        self.stop.set()
        return await asyncio.wait_for(self.task, 30)


@pytest.fixture
async def served(api: FakeBotApi, db_url: str) -> AsyncIterator[Served]:
    port = free_port()
    one = Served(webhook_settings(api, db_url, port))
    await one.wait_role(Role.ACTIVE)
    # Active (accepting posts) comes just before setWebhook, so Telegram can deliver at once.
    await wait_until(lambda: api.webhook is not None)
    try:
        yield one
    finally:
        if not one.task.done():
            await one.finish()


async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as r,
    ):
        return r.status


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as r:
        return r.status, await r.text()


async def test_registers_the_webhook_with_its_secret_and_keeps_pending_updates(
    api: FakeBotApi, served: Served
) -> None:
    hook = api.webhook
    assert hook is not None
    assert hook["url"] == served.settings.webhook_url
    assert hook["secret_token"] == SECRET
    assert hook["drop_pending_updates"] is False
    assert "chat_member" in hook["allowed_updates"]  # every type, not Telegram's default set


async def test_refuses_wrong_secrets_and_bad_bodies_and_skips_malformed_updates(
    api: FakeBotApi, served: Served
) -> None:
    url = served.settings.webhook_url
    assert url is not None
    update = b'{"update_id": 7, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "/start"}}'
    json_type = {"Content-Type": "application/json"}
    assert await post(url, update, json_type) == 403
    assert await post(url, update, {**json_type, "X-Telegram-Bot-Api-Secret-Token": "wrong"}) == 403
    good = {**json_type, "X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert await post(url, b"{not json", good) == 400
    assert await post(url, b"[1, 2]", good) == 400
    # Parses as JSON but not as an update: acknowledged so Telegram stops redelivering it.
    assert await post(url, b'{"update_id": 8, "message": {"chat": "nonsense"}}', good) == 200
    assert await post(url, b'{"no_update_id": true}', good) == 200
    assert api.count("sendMessage") == 0


async def test_an_update_is_committed_before_telegram_gets_its_200(
    api: FakeBotApi, served: Served
) -> None:
    assert served.running is not None
    stranger = api.user(4242, first_name="Tamu")
    update = stranger.send_text("/start")
    assert await api.deliver_webhook_updates() == [200]
    # No waiting: the update was in the inbox before the webhook answered.
    async with served.running.services.sessions() as session:
        stored = await session.scalar(
            select(InboxUpdate.update_id).where(InboxUpdate.update_id == update["update_id"])
        )
    assert stored == update["update_id"]
    await wait_until(lambda: api.count("sendMessage", chat_id=4242) == 1)
    replies = [r for r in api.requests if r.method == "sendMessage" and r.chat_id == 4242]
    assert len(replies) == 1 and "belum terdaftar" in replies[0].params["text"]
    assert not api.updates_pending()
    # Telegram delivering it again (no 200 seen, say) is acknowledged and not answered again.
    api.push_duplicate(update)
    assert await api.deliver_webhook_updates() == [200]
    await asyncio.sleep(0.3)
    assert api.count("sendMessage", chat_id=4242) == 1


async def test_healthz_and_metrics(api: FakeBotApi, served: Served) -> None:
    base = f"http://127.0.0.1:{served.settings.webhook_port}"
    status, body = await get(base + "/healthz")
    assert status == 200, body
    assert '"role":"active"' in body.replace(" ", "")
    assert '"database":"ok"' in body.replace(" ", "")
    assert '"telegram":"ok"' in body.replace(" ", "")
    api.user(4343).send_text("/start")
    await api.deliver_webhook_updates()
    status, text = await get(base + "/metrics")
    assert status == 200
    assert "deskbot_is_leader 1.0" in text
    bot = f'bot="{api.token.split(":")[0]}"'
    assert f'deskbot_telegram_sends_total{{{bot},method="sendMessage"}}' in text
    assert f'deskbot_telegram_requests_total{{{bot},method="setWebhook",outcome="ok"}}' in text
    assert "deskbot_updates_total" in text and "deskbot_telegram_429_total" in text
    assert api.token not in text and SECRET not in text


async def test_counts_429s(api: FakeBotApi, served: Served) -> None:
    from bot import metrics

    bot = api.token.split(":")[0]  # the metrics name each bot by its public id
    before = metrics.RATE_LIMITED.labels(bot, "sendMessage")._value.get()
    api.fail_next("sendMessage", status=429, parameters={"retry_after": 1})
    api.user(4444).send_text("/start")
    await api.deliver_webhook_updates()
    # The refused reply is sent again once Telegram's retry_after has passed: once.
    await wait_until(lambda: api.count("sendMessage", chat_id=4444) == 2, timeout=15)
    assert metrics.RATE_LIMITED.labels(bot, "sendMessage")._value.get() == before + 1
    delivered = [
        r for r in api.requests if r.method == "sendMessage" and r.chat_id == 4444 and r.ok
    ]
    assert len(delivered) == 1 and "belum terdaftar" in delivered[0].params["text"]


async def test_shutdown_finishes_the_update_in_hand(api: FakeBotApi, served: Served) -> None:
    assert served.running is not None
    processor = served.running.app.update_processor
    api.set_latency(1.0)  # every Bot API call is slow now
    api.user(4545).send_text("/start")
    delivery = asyncio.create_task(api.deliver_webhook_updates())
    await wait_until(lambda: processor.current_concurrent_updates > 0)
    assert await served.finish() == 0
    assert await delivery == [200]
    assert api.count("sendMessage", chat_id=4545) == 1


async def test_half_a_webhook_configuration_is_refused(api: FakeBotApi, db_url: str) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=api.token,
        telegram_api_base_url=api.base_url,
        database_url=db_url,
        webhook_url="https://desk.example/tg",
    )
    from bot.config import ConfigError

    with pytest.raises(ConfigError, match="WEBHOOK_SECRET is not"):
        await serve(settings, asyncio.Event())


async def test_a_plain_http_webhook_is_refused_unless_allowed(api: FakeBotApi, db_url: str) -> None:
    """Telegram delivers to HTTPS only: an http:// WEBHOOK_URL is a configuration error, unless
    WEBHOOK_ALLOW_HTTP says it is a loopback test."""
    from bot.config import ConfigError

    settings = webhook_settings(api, db_url, free_port(), webhook_allow_http=False)
    with pytest.raises(ConfigError, match="must be the public https://"):
        settings.check_webhook()
    webhook_settings(api, db_url, free_port()).check_webhook()  # allowed: no error
