"""End-to-end harness: the real application, started by `bot.runner.start` (the phases
`deskbot run` goes through, `bot.serve`), long-polling the fake Bot API server over HTTP, on a real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import runner
from bot.config import Settings
from domain.people import Member
from domain.roles import Role
from storage import people, regions
from storage.models import Tps
from tests.conftest import FakeClock, kpu_data
from tests.fakebot import FakeBotApi, FakeGroup, FakeUser, RequestRecord

# Kota Cilegon (Banten): 8 districts, 43 villages, 1,247 TPS of the real 2024 list.
CITY = "3672"
DISTRICT = "367201"  # Cibeber
VILLAGE = "3672011001"  # Cibeber, 60 TPS
TPS = "3672011001-003"
OTHER_DISTRICT_TPS = "3672021001-001"
SEND_METHODS = {
    "sendmessage",
    "editmessagetext",
    "editmessagereplymarkup",
    "sendphoto",
    "senddocument",
    "answercallbackquery",
    "editmessagecaption",
}


# Longer than the fake's longest wait for a private chat (a burst of 10, then one a second:
# `retry_after` up to 10 s), which an admin clicking through menus quickly can meet.
SETTLE_SECONDS = 20.0


@dataclass
class Desk:
    """One running bot with its fake Telegram and database, and ways to act on them."""

    api: FakeBotApi
    running: runner.Running
    clock: FakeClock
    settings: Settings
    _next_user: int = field(default=100_000)

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.running.services.sessions

    def new_user(
        self, first_name: str = "Siti", *, language_code: str = "id", username: str | None = None
    ) -> FakeUser:
        self._next_user += 1
        return self.api.user(
            self._next_user, first_name=first_name, language_code=language_code, username=username
        )

    async def member(
        self, user: FakeUser, role: Role, scope: str, *, language: str = "id"
    ) -> Member:
        """Register someone directly in the database (for tests about something else).

        Their private chat is made known to the fake server, as if they had opened the bot.
        """
        self.api.add_chat(user.id, "private", first_name=user.first_name)
        async with self.sessions.begin() as session:
            return await people.upsert_member(
                session,
                telegram_id=user.id,
                name=user.first_name,
                username=None,
                role=role,
                scope=scope,
                language=language,
                now=self.clock(),
            )

    async def invite(self, role: Role, scope: str, *, days: int = 30) -> str:
        async with self.sessions.begin() as session:
            codes, _ = await people.issue_invites(
                session,
                role=role,
                scope=scope,
                count=1,
                created_by=None,
                actor_label="test",
                now=self.clock(),
                ttl=timedelta(days=days),
            )
        return codes[0]

    async def settle(self, timeout: float = SETTLE_SECONDS) -> None:  # noqa: ASYNC109
        """Wait until every pushed update is fetched and fully handled, and every call the
        bot owes has left (a call Telegram answered 429 is waited for: it is owed)."""
        apps = self.running.apps or [self.running.app]
        sender = self.running.services.out
        fakes = [self.api, *self.api._bots.values()]  # every bot the fake server serves

        def handled() -> bool:
            for app in apps:
                inbox, albums = app.bot_data.inbox, app.bot_data.albums
                if not (
                    app.update_queue.empty()
                    and app.update_processor.current_concurrent_updates == 0
                    and (inbox is None or inbox.idle())
                    and (albums is None or getattr(albums, "idle", lambda: True)())
                ):
                    return False
            return True

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.api.wait_idle(timeout=max(0.1, deadline - loop.time()), quiet=0.05)
            if handled() and await sender.quiet():
                await asyncio.sleep(0.05)
                if (
                    handled()
                    and not any(fake.updates_pending() for fake in fakes)
                    and await sender.quiet()
                ):
                    return
            if loop.time() > deadline:
                raise TimeoutError("the bot did not settle")
            await asyncio.sleep(0.02)

    async def say(
        self, user: FakeUser, message: str, *, date: float | None = None
    ) -> list[RequestRecord]:
        """Send a text as `user`; return the bot's calls that followed, once it settled."""
        mark = self.api.mark()
        user.send_text(message, date=date)
        await self.settle()
        return self.calls_after(mark)

    async def say_in(self, group: FakeGroup, user: FakeUser, message: str) -> list[RequestRecord]:
        """Send a text as `user` in a group; return the bot's calls that followed."""
        mark = self.api.mark()
        group.send_text(user, message)
        await self.settle()
        return self.calls_after(mark)

    async def press(
        self, user: FakeUser, message: dict[str, Any], data: str
    ) -> list[RequestRecord]:
        mark = self.api.mark()
        user.press(message, data)
        await self.settle()
        return self.calls_after(mark)

    async def restart(self) -> None:
        """Stop the bot and start a new one on the same database and fake Telegram, as after a
        crash or deploy: nothing survives but what is stored."""
        engine = self.running.engine
        await runner.stop(self.running, dispose_engine=False)
        self.running = await runner.start(
            self.settings, clock=self.clock, engine=engine, poll_timeout=1
        )

    def calls_after(self, mark: int) -> list[RequestRecord]:
        """The bot's sends since `mark`, leaving out those Telegram refused with 429 (flood
        control: the bot sends them again when Telegram lets it, and those count)."""
        return [
            r
            for r in self.api.requests
            if r.seq > mark and r.method.lower() in SEND_METHODS and r.status != 429
        ]

    def texts_to(self, chat_id: int) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.api.messages_to(chat_id)]

    def last_text(self, chat_id: int) -> str:
        message = self.api.last_message(chat_id)
        assert message is not None, f"the bot sent nothing to {chat_id}"
        return str(message.get("text") or message.get("caption") or "")

    def last_buttons(self, chat_id: int) -> list[tuple[str, str]]:
        """(label, callback data) of the inline buttons on the last message to a chat."""
        message = self.api.last_message(chat_id)
        assert message is not None
        markup = message.get("reply_markup") or {}
        return [
            (b["text"], b.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]


async def city_officers(
    api: FakeBotApi, sessions: async_sessionmaker[AsyncSession], count: int, *, first_id: int
) -> list[tuple[FakeUser, str]]:
    """`count` TPS officers of the city, each of their own TPS, registered and known to the
    fake as having opened the bot: (user, TPS id) each, Telegram ids from `first_id`."""
    async with sessions.begin() as session:
        tps_ids = (
            await session.scalars(
                select(Tps.id).where(Tps.id.like(f"{CITY}%")).order_by(Tps.id).limit(count)
            )
        ).all()
        officers = []
        for n, tps_id in enumerate(tps_ids):
            user = api.user(first_id + n, first_name=f"KPPS {n}")
            api.add_chat(user.id, "private", first_name=user.first_name)
            await people.upsert_member(
                session,
                telegram_id=user.id,
                name=user.first_name,
                username=None,
                role=Role.TPS,
                scope=tps_id,
                language="id",
                now=FakeClock()(),
            )
            officers.append((user, tps_id))
    return officers


async def load_city(sessions: async_sessionmaker[AsyncSession]) -> None:
    data = kpu_data(regencies=(CITY,))
    async with sessions.begin() as session:
        await regions.import_masterdata(session, data)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(allow_http_webhooks=True) as fake:
        yield fake


@pytest.fixture
async def desk(api: FakeBotApi, db_url: str, clock: FakeClock) -> AsyncIterator[Desk]:
    async with running_desk(api, db_url, clock) as the_desk:
        yield the_desk


@asynccontextmanager
async def running_desk(
    api: FakeBotApi, db_url: str, clock: FakeClock, **settings: Any
) -> AsyncIterator[Desk]:
    """The application on `db_url`, talking to `api`, with Kota Cilegon loaded."""
    config = Settings(
        _env_file=None,
        telegram_bot_token=api.token,  # type: ignore[call-arg]
        telegram_api_base_url=api.base_url,
        database_url=db_url,
        **settings,
    )
    running = await runner.start(config, clock=clock, poll_timeout=1)
    await load_city(running.services.sessions)
    the_desk = Desk(api=api, running=running, clock=clock, settings=config)
    try:
        yield the_desk
    finally:
        await runner.stop(the_desk.running)  # the one running now, after any restart


@asynccontextmanager
async def open_desk(
    db_url: str,
    clock: FakeClock,
    *,
    api_options: dict[str, Any] | None = None,
    **settings: Any,
) -> AsyncIterator[Desk]:
    """A desk like the `desk` fixture, with options for the fake server (e.g. flood limits)
    and for the settings (e.g. `broadcast_rate`)."""
    async with (
        FakeBotApi(**{"allow_http_webhooks": True, **(api_options or {})}) as fake,
        running_desk(fake, db_url, clock, **settings) as the_desk,
    ):
        yield the_desk


async def restart(desk: Desk) -> None:
    """Stop the bot as `deskbot run` does on SIGTERM and start a new one on the same database."""
    await desk.restart()
