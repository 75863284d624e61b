"""The fake Bot API shapes chats as Telegram does: webhooks, upgrades, topics, albums."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest

from .fixtures import make_bot
from .server import FakeBotApi

USER_ID = 5550001


def last_description(api: FakeBotApi) -> str:
    response = api.requests[-1].response
    assert response is not None
    return str(response.get("description"))


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://desk.example/hook", "bad webhook: HTTPS url must be provided for webhook"),
        ("desk.example/hook", "bad webhook: HTTPS url must be provided for webhook"),
        (
            "https://desk.example:8080/hook",
            "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
        ),
    ],
)
async def test_webhook_needs_https(
    fake_api: FakeBotApi, fake_bot: Bot, url: str, error: str
) -> None:
    with pytest.raises(BadRequest):
        await fake_bot.set_webhook(url)
    assert last_description(fake_api) == f"Bad Request: {error}"
    assert fake_api.webhook is None


async def test_webhook_https_ports_and_the_loopback_flag(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    for url in ("https://desk.example/hook", "https://desk.example:8443/hook"):
        assert await fake_bot.set_webhook(url)
        assert fake_api.webhook is not None and fake_api.webhook["url"] == url
    async with FakeBotApi(allow_http_webhooks=True) as api, make_bot(api) as bot:
        assert await bot.set_webhook("http://127.0.0.1:8123/hook")
        assert api.webhook is not None and api.webhook["url"] == "http://127.0.0.1:8123/hook"
