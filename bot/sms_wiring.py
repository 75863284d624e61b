"""Plugging the SMS side (`sms/`) into the bot: build it from the settings, lend it the desk's
listeners, the desk-group notice and the metrics, mount its webhook, start and stop it."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.routing import BaseRoute

from bot import metrics
from bot.config import Settings
from bot.webhook import HttpServer, build_http_app
from domain.checkins.records import Filed
from domain.outbox import Priority
from domain.phone import try_normalise
from handlers.context import DeskApplication, Services
from outbox import messages
from sms.options import SmsHooks, SmsOptions
from sms.ports import Gateway
from sms.service import SmsService
from sms.webhook import sms_routes
from storage import desk_groups
from views.texts import text

log = logging.getLogger(__name__)


def _hours(value: str) -> tuple[time, time]:
    start, end = value.strip().split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def options_from(settings: Settings) -> SmsOptions:
    """The SMS options the settings describe (checked by `Settings.check_sms`)."""
    assert settings.sms_signing_key is not None
    numbers = (try_normalise(n) for n in settings.sms_desk_numbers.split(","))
    watch_from, watch_until = _hours(settings.sms_watch_hours)
    return SmsOptions(
        signing_key=settings.sms_signing_key.get_secret_value(),
        signature_window=timedelta(seconds=settings.sms_signature_window_seconds),
        own_numbers=frozenset(n for n in numbers if n),
        election=settings.election,
        per_minute=settings.sms_per_minute,
        receipt_ttl=timedelta(minutes=settings.sms_receipt_ttl_minutes),
        answers_per_hour=settings.sms_answers_per_hour,
        repeat_limit=settings.sms_repeat_limit,
        silence_after=timedelta(minutes=settings.sms_silence_minutes),
        watch_from=watch_from,
        watch_until=watch_until,
        timezone=settings.sms_timezone,
        reminders=settings.sms_reminders,
    )


def gateway_from(settings: Settings) -> Gateway:
    """The phone's API client (imported here: only a desk with SMS on pays for the library)."""
    from sms.gateway import GatewayConfig, HttpGateway

    assert settings.sms_gateway_url and settings.sms_gateway_password
    return HttpGateway(
        GatewayConfig(
            base_url=settings.sms_gateway_url,
            username=settings.sms_gateway_username or "",
            password=settings.sms_gateway_password.get_secret_value(),
            sim_number=settings.sms_sim_number,
        )
    )


def install_sms(
    settings: Settings,
    services: Services,
    app: DeskApplication,
    *,
    gateway: Gateway | None = None,
    options: SmsOptions | None = None,
) -> SmsService | None:
    """Build the SMS service when `SMS_ENABLED`; keep it in `services.sms`."""
    if not settings.sms_enabled:
        return None
    settings.check_sms()
    options = options or options_from(settings)

    async def on_filed(filed: Filed) -> None:
        for listener in services.checkin_listeners:
            await listener(app, services, filed)

    async def notify(key: str, values: dict[str, Any]) -> None:
        await notify_desk_group(app, services, key, zone=options.timezone, **values)

    hooks = SmsHooks(
        on_filed=on_filed,
        notify_desk=notify,
        count=metrics.count_sms,
        count_webhook=metrics.count_sms_webhook,
    )
    service = SmsService(
        services.sessions, gateway or gateway_from(settings), options, hooks, services.clock
    )
    services.sms = service
    services.sms_reminders = service.remind
    return service


def sms_service(services: Services) -> SmsService | None:
    service = services.sms
    return service if isinstance(service, SmsService) else None


def routes_for(settings: Settings, services: Services) -> list[BaseRoute]:
    """The SMS webhook route to mount on the bot's web server (none when SMS is off)."""
    service = sms_service(services)
    if service is None:
        return []
    return list(sms_routes(service, settings.sms_webhook_path))


def own_server(settings: Settings, services: Services, health: Any) -> HttpServer | None:
    """Long polling: the SMS webhook's own server at SMS_WEBHOOK_LISTEN:SMS_WEBHOOK_PORT."""
    routes = routes_for(settings, services)
    if not routes or settings.webhook_mode:
        return None
    return HttpServer(
        build_http_app(health, extra_routes=routes),
        host=settings.sms_webhook_listen,
        port=settings.sms_webhook_port,
        graceful_seconds=5,
    )


async def start_sms(services: Services) -> None:
    service = sms_service(services)
    if service is not None:
        await service.start()


async def stop_sms(services: Services, *, close: bool = False) -> None:
    service = sms_service(services)
    if service is not None:
        await (service.close() if close else service.stop())


def _local(moment: object, zone: str) -> str:
    if not isinstance(moment, datetime):
        return str(moment)
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%d/%m %H:%M} {local.tzname()}"


async def notify_desk_group(
    app: DeskApplication, services: Services, key: str, *, zone: str, **values: Any
) -> int:
    """Tell every active desk group (`views/locales/*/sms.toml`), through the sender as an
    alert (kept until delivered, retried through 429s and outages); how many were owed it."""
    async with services.transaction() as session:
        groups = await desk_groups.desk_groups(session)
    shown = {k: _local(v, zone) for k, v in values.items()}
    calls = [
        call
        for chat_id, _title, _scope in groups
        for call in messages.text_message(
            chat_id, text("id", key, **shown), priority=Priority.ALERT, proactive=True
        )
    ]
    if calls:
        await services.out.send(*calls, wait=False)
    return len(groups)
