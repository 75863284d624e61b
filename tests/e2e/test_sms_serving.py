"""`deskbot run`'s path (`bot.serve.serve`): the SMS webhook on the Telegram webhook's server in
webhook mode, on a port of its own in long-polling mode; 503 until the instance is active."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.health import Role
from bot.sms_wiring import gateway_from, options_from
from handlers.context import utc_now
from tests.e2e.sms_support import KEY
from tests.e2e.test_webhook import Served, free_port, wait_until, webhook_settings
from tests.fakebot import FakeBotApi
from tests.smsgateway import FakeGateway, GatewayPhone


@pytest.mark.parametrize("mode", ["webhook", "polling"])
async def test_the_sms_webhook_is_served_where_the_mode_says(
    api: FakeBotApi, db_url: str, mode: str
) -> None:
    port, sms_port = free_port(), free_port()
    async with FakeGateway(utc_now) as gateway:
        sms = {
            "sms_enabled": True,
            "sms_gateway_url": gateway.url,
            "sms_gateway_username": "sms",
            "sms_gateway_password": "pw",
            "sms_signing_key": KEY,
            "sms_webhook_port": sms_port,
        }
        if mode == "webhook":
            settings = webhook_settings(api, db_url, port, **sms)
            url = f"http://127.0.0.1:{port}/sms/webhook"
        else:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                telegram_bot_token=api.token,
                telegram_api_base_url=api.base_url,
                database_url=db_url,
                poll_timeout=1,
                **sms,
            )
            url = f"http://127.0.0.1:{sms_port}/sms/webhook"
        served = Served(settings)
        try:
            await served.wait_role(Role.ACTIVE)
            phone = GatewayPhone(url, KEY, utc_now)
            assert await phone.post(phone.envelope("system:ping", {}), signed=False) == 401
            assert await phone.ping() == 200
            assert await phone.sms("+6285700000001", "SIAP 06:30 7") == 202
            await wait_until(lambda: len(gateway.sent) == 1)
            assert "belum terdaftar" in gateway.sent[0].text
        finally:
            assert await served.finish() == 0


async def test_sms_settings_that_cannot_work_are_refused_with_what_to_set() -> None:
    from bot.config import ConfigError

    base = {"_env_file": None, "sms_enabled": True}
    with pytest.raises(ConfigError, match="SMS_GATEWAY_URL, SMS_GATEWAY_USERNAME"):
        Settings(**base).check_sms()  # type: ignore[arg-type]
    short = Settings(
        **base,  # type: ignore[arg-type]
        sms_gateway_url="http://192.168.1.50:8080",
        sms_gateway_username="sms",
        sms_gateway_password="pw",
        sms_signing_key="abcdefgh",  # the app's default length
    )
    with pytest.raises(ConfigError, match="at least 32 characters") as refused:
        short.check_sms()
    assert "abcdefgh" not in str(refused.value)
    good = short.model_copy(update={"sms_signing_key": SecretStr(KEY)})
    good.check_sms()
    options = options_from(good)
    assert KEY not in repr(options) and KEY not in repr(good)  # never in logs or tracebacks
    assert "pw" not in repr(gateway_from(good).__dict__.get("_config"))
    Settings(_env_file=None).check_sms()  # type: ignore[call-arg]  # off: nothing to check
