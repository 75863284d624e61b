"""Helpers for the digest end-to-end tests: a desk with a schedule file, check-ins, figures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import runner
from bot.config import Settings
from domain.roles import Role
from reminders.scheduler import tick
from storage import desk_groups
from storage.models import Checkin, Tps, Village
from tests.checkins_seed import add_checkin
from tests.conftest import FakeClock
from tests.e2e.conftest import Desk, load_city
from tests.fakebot import FakeBotApi

SCHEDULE = """
election_day = 2024-02-14

[digest]
times = ["09:00", "12:00"]
from = "H-1"
until = "H"

[deadlines.logistik]
at = "H-1 18:00"
reminders = ["3h", "1h"]

[deadlines.siap]
at = "H 07:00"
reminders = ["30m"]
"""
GROUP = -100_777


def settings_for(api: FakeBotApi, db_url: str, config: Path) -> Settings:
    return Settings(
        _env_file=None,
        telegram_bot_token=api.token,  # type: ignore[call-arg]
        telegram_api_base_url=api.base_url,
        database_url=db_url,
        desk_config_file=config,
        schedule_tick_seconds=300,  # tests tick by hand
    )


async def start(settings: Settings, clock: FakeClock) -> runner.Running:
    return await runner.start(settings, clock=clock, poll_timeout=1)


@pytest.fixture
async def sdesk(
    api: FakeBotApi, db_url: str, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[Desk]:
    """The `desk` of tests/e2e/conftest.py with a schedule file and hand-driven ticks."""
    config = tmp_path / "desk.toml"
    config.write_text(SCHEDULE, encoding="utf-8")
    settings = settings_for(api, db_url, config)
    running = await start(settings, clock)
    await load_city(running.services.sessions)
    desk = Desk(api=api, running=running, clock=clock, settings=settings)
    try:
        yield desk
    finally:
        await runner.stop(desk.running)


async def run_tick(desk: Desk) -> list[str]:
    done = await tick(desk.running.app)
    await desk.settle()
    return done


async def restart(desk: Desk) -> None:
    """Stop the bot and start a new one on the same database (as after a crash or deploy)."""
    await runner.stop(desk.running)
    desk.running = await start(desk.settings, desk.clock)


async def register_group(desk: Desk, chat_id: int = GROUP, scope: str = "36") -> None:
    admin = desk.new_user("Admin Desk")
    member = await desk.member(admin, Role.ADMIN, scope)
    desk.api.add_chat(chat_id, "supergroup", title="Desk Pemilu")
    async with desk.sessions.begin() as session:
        await desk_groups.register_group(
            session,
            chat_id=chat_id,
            title="Desk Pemilu",
            scope=scope,
            by=member.id,
            now=desk.clock(),
        )


async def tps_in(desk: Desk, prefix: str) -> list[str]:
    async with desk.sessions.begin() as session:
        stmt = select(Tps.id).where(Tps.id.like(f"{prefix}%")).order_by(Tps.id)
        return list((await session.execute(stmt)).scalars())


async def file(
    desk: Desk,
    tps_ids: Iterable[str],
    kind: str,
    *,
    severity: str = "ok",
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> list[int]:
    async with desk.sessions.begin() as session:
        return [
            await add_checkin(
                session,
                tps_id=t,
                kind=kind,
                at=at or desk.clock(),
                severity=severity,
                payload=payload,
            )
            for t in tps_ids
        ]


@dataclass
class Stored:
    """The current check-ins as the test reads them straight from the table."""

    rows: list[tuple[str, str, str, dict[str, Any]]]  # tps, kind, severity, payload
    villages: dict[str, str]  # tps id -> village name

    def filed(self, kind: str, prefix: str = "") -> int:
        return sum(1 for t, k, _, _ in self.rows if k == kind and t.startswith(prefix))


async def stored(desk: Desk) -> Stored:
    async with desk.sessions.begin() as session:
        rows = (
            await session.execute(
                select(Checkin.tps_id, Checkin.kind, Checkin.severity, Checkin.payload).where(
                    Checkin.is_current.is_(True)
                )
            )
        ).all()
        villages = dict(
            (
                await session.execute(
                    select(Tps.id, Village.name).join(Village, Village.code == Tps.village_code)
                )
            ).all()
        )
    return Stored([(t, k, s, dict(p)) for t, k, s, p in rows], villages)
