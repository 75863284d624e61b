"""Where the desk page is served in webhook mode (on the webhook's own server), and the cookie
a sign-in sets."""

from __future__ import annotations

import re
from dataclasses import replace

import aiohttp
from sqlalchemy import func, select

from bot.health import Role
from bot.runner import web_deps
from domain.roles import Role as PersonRole
from storage import people, web_auth
from storage.models import WebLogin
from tests.e2e.conftest import CITY, Desk
from tests.e2e.test_webhook import Served, free_port, get, wait_until, webhook_settings
from tests.fakebot import FakeBotApi
from views.texts import text


async def test_webhook_mode_serves_the_page_beside_the_webhook(
    api: FakeBotApi, db_url: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    served = Served(webhook_settings(api, db_url, port, web_base_url=base))
    try:
        await served.wait_role(Role.ACTIVE)
        await wait_until(lambda: api.webhook is not None)
        assert (await get(f"{base}/dasbor/wilayah/{CITY}"))[0] == 401
        assert (await get(f"{base}/healthz"))[0] == 200
        status, css = await get(f"{base}/dasbor/static/style.css")
        assert status == 200 and "body" in css
        assert served.running is not None
        async with served.running.services.sessions.begin() as session:
            member = await people.upsert_member(
                session, telegram_id=5, name="Rina", username=None,
                role=PersonRole.COORDINATOR, scope="36", language="id",
                now=served.running.services.clock(),
            )  # fmt: skip
            token = await web_auth.create_login(session, member.id, served.running.services.clock())
        async with (
            aiohttp.ClientSession() as client,
            client.post(f"{base}/dasbor/masuk/{token}", allow_redirects=False) as r,
        ):
            assert r.status == 303
            cookie = r.headers["Set-Cookie"]
        assert re.search(r"desk_session=[\w-]{43};", cookie)
        for attribute in ("HttpOnly", "Max-Age=43200", "Path=/dasbor", "SameSite=lax"):
            assert attribute.lower() in cookie.lower(), cookie
        assert "secure" not in cookie.lower()  # http:// base: a Secure cookie would be dropped
    finally:
        await served.finish()


async def test_without_a_page_address_dasbor_says_so(desk: Desk) -> None:
    rina = desk.new_user("Rina")
    await desk.member(rina, PersonRole.COORDINATOR, CITY)
    await desk.say(rina, "/dasbor")
    assert desk.last_text(rina.id) == text("id", "web.off")
    async with desk.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(WebLogin))).scalar() == 0


async def test_a_sign_in_link_never_goes_to_a_group(desk: Desk) -> None:
    admin = desk.new_user("Admin")
    await desk.member(admin, PersonRole.ADMIN, "36")
    group = desk.api.group(-100321, "Desk Pemilu Banten")
    group.send_text(admin, "/daftargrup")
    await desk.settle()
    group.send_text(admin, "/dasbor")
    await desk.settle()
    assert desk.last_text(-100321) == text("id", "web.private_only")
    async with desk.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(WebLogin))).scalar() == 0


async def test_the_page_reads_through_the_bots_reading_engine(desk: Desk) -> None:
    """On SQLite the bot writes through one connection; the page must not queue for it."""
    running = desk.running
    settings = running.settings.model_copy(update={"web_base_url": "http://127.0.0.1:1"})
    deps = web_deps(replace(running, settings=settings))
    assert deps is not None and deps.reads is running.services.reads
    assert deps.reads.kw["bind"] is running.reader
    if running.engine.dialect.name == "sqlite":
        assert running.reader.sync_engine.pool is not running.engine.sync_engine.pool
