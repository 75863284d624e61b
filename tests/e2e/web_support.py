"""The desk page under test: a running desk with its web server, and a real Chromium.

Chromium comes from Debian's `chromium` package (`.ci/run` installs it; `make test` does too
when it runs as root); Playwright drives it through `executable_path`, never through a browser
build of its own (`playwright install` is never run).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot import runner
from bot.webhook import HttpServer
from domain.roles import Role
from tests.conftest import FakeClock
from tests.e2e.conftest import Desk, running_desk
from tests.e2e.test_webhook import free_port
from tests.fakebot import FakeBotApi, FakeUser

CHROMIUM = os.environ.get("DESKBOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/dasbor/masuk/[A-Za-z0-9_-]+)")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def chromium_or_skip() -> str:
    """The Chromium binary, or skip (fail under CI) with how to get it."""
    if Path(CHROMIUM).is_file() or shutil.which(CHROMIUM):
        return CHROMIUM
    reason = (
        f"no Chromium at {CHROMIUM}: `apt-get install chromium` (make test installs it when "
        "run as root), or set DESKBOT_CHROMIUM"
    )
    if os.environ.get("DESKBOT_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class WebDesk:
    desk: Desk
    server: HttpServer
    base: str

    async def link_for(self, user: FakeUser) -> str:
        """Ask the bot for /dasbor as `user`; return the sign-in link it sent."""
        await self.desk.say(user, "/dasbor")
        found = LINK.search(self.desk.last_text(user.id))
        assert found, self.desk.last_text(user.id)
        return found.group(1)

    async def staff(self, name: str, role: Role, scope: str, *, language: str = "id") -> FakeUser:
        user = self.desk.new_user(name)
        await self.desk.member(user, role, scope, language=language)
        return user


@asynccontextmanager
async def web_desk(
    api: FakeBotApi, db_url: str, clock: FakeClock, **settings: Any
) -> AsyncIterator[WebDesk]:
    """A desk (Kota Cilegon loaded) whose page is served as `deskbot run` serves it in polling
    mode: `runner.http_server` on WEB_PORT."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with running_desk(
        api, db_url, clock, web_base_url=base, web_port=port, **settings
    ) as desk:
        server = runner.http_server(desk.running)
        assert server is not None
        await server.start()
        try:
            yield WebDesk(desk=desk, server=server, base=base)
        finally:
            await server.stop()


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A fresh headless Chromium (Debian's), closed afterwards."""
    from playwright.async_api import async_playwright

    executable = chromium_or_skip()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        browser.on("disconnected", lambda _b: None)
        try:
            yield browser
        finally:
            await browser.close()


async def signed_in_page(browser: Any, link: str) -> Any:
    """A new browser context that opened `link` and pressed the sign-in button."""
    context = await browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await page.goto(link)
    await page.click("#sign-in")
    await page.wait_for_selector("#region-name")
    return page


async def screenshot(page: Any, name: str, tmp_path: Path) -> Path:
    """Keep a screenshot under the test's tmp dir and under test-output/ (gitignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(target), full_page=True)
    shutil.copy(target, tmp_path / target.name)
    return target
