"""A running desk with SMS on: the real bot, the fake Bot API, the fake gateway phone, and the
SMS webhook served by the same code as `deskbot run` in long-polling mode (`own_server`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.sms_wiring import own_server, sms_service
from domain.phone import normalise_phone
from domain.roles import Role
from sms.service import SmsService
from storage import sms as sms_repo
from storage import sms_queue
from storage.models import Checkin, SmsInbound, SmsOutbound
from tests.conftest import FakeClock
from tests.e2e.conftest import SETTLE_SECONDS, Desk, open_desk
from tests.fakebot import FakeUser
from tests.smsgateway import FakeGateway, GatewayPhone

KEY = "k" * 8 + "-a-long-signing-key-for-the-tests-0123456789"
DESK_NUMBER = "+6281100000000"


@dataclass
class SmsDesk:
    desk: Desk
    gateway: FakeGateway
    phone: GatewayPhone
    service: SmsService

    async def settle(self, timeout: float = SETTLE_SECONDS) -> None:  # noqa: ASYNC109
        """Wait until stored SMS are processed and every due answer the pace allows is sent."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await asyncio.wait_for(self.service.idle(), timeout)
        self.service.sender.wake()
        quiet = 0  # the condition must hold on two looks in a row (the sender works between)
        while loop.time() < deadline:
            async with self.desk.sessions() as session:
                due = await sms_queue.next_due_at(session)
                claimed = (await sms_queue.outbound_counts(session)).get("claimed", 0)
            now = self.desk.clock()
            window = self.service.sender._window.wait_time(now.timestamp())
            idle = claimed == 0 and (due is None or due > now or window > 0)
            quiet = quiet + 1 if idle else 0
            if quiet == 2:
                # ...and what goes to Telegram (desk-group notices, alerts) has left too.
                await self.desk.settle(timeout=max(1.0, deadline - loop.time()))
                return
            await asyncio.sleep(0.03)
        raise TimeoutError("SMS did not settle")

    async def text(self, sender: str, body: str, **options: Any) -> int:
        """The phone forwards an SMS from `sender`; wait until handled; the webhook status."""
        status = await self.phone.sms(sender, body, **options)
        await self.settle()
        return status

    async def officer(self, name: str, role: Role, scope: str, phone: str) -> FakeUser:
        """A registered person with a phone number (as `deskbot people set-phone` sets it)."""
        user = self.desk.new_user(name)
        await self.desk.member(user, role, scope)
        async with self.desk.sessions.begin() as session:
            await sms_repo.set_phone(session, user.id, normalise_phone(phone))
        return user

    async def checkins(self, **where: Any) -> list[Checkin]:
        async with self.desk.sessions() as session:
            stmt = select(Checkin).order_by(Checkin.id)
            for key, value in where.items():
                stmt = stmt.where(getattr(Checkin, key) == value)
            return list((await session.execute(stmt)).scalars())

    async def inbound(self) -> list[SmsInbound]:
        async with self.desk.sessions() as session:
            return list(
                (await session.execute(select(SmsInbound).order_by(SmsInbound.id))).scalars()
            )

    async def outbound(self) -> list[SmsOutbound]:
        async with self.desk.sessions() as session:
            stmt = select(SmsOutbound).order_by(SmsOutbound.id)
            return list((await session.execute(stmt)).scalars())


@asynccontextmanager
async def sms_desk(db_url: str, clock: FakeClock, **settings: Any) -> AsyncIterator[SmsDesk]:
    async with FakeGateway(clock) as gateway:
        options: dict[str, Any] = {
            "sms_enabled": True,
            "sms_gateway_url": gateway.url,
            "sms_gateway_username": "sms",
            "sms_gateway_password": "pw",
            "sms_signing_key": KEY,
            "sms_webhook_port": 0,
            "sms_desk_numbers": DESK_NUMBER,
            **settings,
        }
        async with open_desk(db_url, clock, **options) as desk:
            services = desk.running.services
            server = own_server(desk.settings, services, desk.running.health)
            assert server is not None
            await server.start()
            service = sms_service(services)
            assert service is not None
            phone = GatewayPhone(
                f"http://127.0.0.1:{server.port}{desk.settings.sms_webhook_path}", KEY, clock
            )
            gateway.phone = phone
            try:
                yield SmsDesk(desk, gateway, phone, service)
            finally:
                await server.stop()
