"""The desk page in a real browser (Debian's Chromium through Playwright): signing in through
the bot's link, the figures against the database, live updates, refusals, the wall, export."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook

from bot import runner
from domain.roles import Role
from storage import dashboard, export, people
from tests.conftest import FakeClock
from tests.e2e.broadcasting import compose, send_now, wait_done
from tests.e2e.conftest import CITY, DISTRICT, TPS, VILLAGE
from tests.e2e.digest_support import file, stored, tps_in
from tests.e2e.web_support import chromium, screenshot, signed_in_page, web_desk
from tests.fakebot import FakeBotApi
from views.exports import localized
from views.texts import text
from web import views as web_views

KINDS = ("logistik", "siap", "banjir", "sinyal")


async def _seed(desk) -> None:  # type: ignore[no-untyped-def]
    tps = await tps_in(desk, CITY)
    await file(desk, tps[::7], "logistik")
    await file(desk, tps[1::11], "siap")
    await file(desk, tps[5::13], "banjir", payload={"water_cm": 0, "usable": True})
    await file(
        desk, tps[:3], "banjir", severity="severe", payload={"water_cm": 110, "usable": False}
    )
    await file(desk, tps[200:230:3], "sinyal", severity="severe", payload={"level": "none"})
    await file(
        desk,
        tps[1:4],
        "kejadian",
        severity="critical",
        payload={"category": "security", "severity": "critical", "resolved": False},
    )


async def _card(page, kind: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    card = page.locator(f"#cards .card[data-kind={kind}]")
    return int(await card.get_attribute("data-filed")), int(await card.get_attribute("data-tps"))


async def test_figures_shown_equal_the_database_at_every_level(
    api: FakeBotApi, db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    async with web_desk(api, db_url, clock) as web, chromium() as browser:
        await _seed(web.desk)
        boss = await web.staff("Bu Rina", Role.COORDINATOR, CITY)
        page = await signed_in_page(browser, await web.link_for(boss))
        assert page.url.endswith(f"/dasbor/wilayah/{CITY}")
        db = await stored(web.desk)
        all_tps = len(await tps_in(web.desk, CITY))
        for kind in KINDS:
            assert await _card(page, kind) == (db.filed(kind, CITY), all_tps)
        rows = page.locator("#rows tbody tr")
        assert await rows.count() == 8  # Cilegon's districts
        district_row = page.locator(f"#rows tr[data-code='{DISTRICT}']")
        for kind in KINDS:
            shown = await district_row.locator(f"td[data-kind={kind}]").get_attribute("data-filed")
            assert int(shown) == db.filed(kind, DISTRICT)
        totals = page.locator("#problem-totals")
        assert int(await totals.get_attribute("data-incidents")) == 3
        assert int(await totals.get_attribute("data-severe")) == 3
        assert await page.locator("#floods li").first.get_attribute("data-tps") is not None
        await screenshot(page, "city", tmp_path)

        await district_row.locator("a").click()
        await page.wait_for_url(f"**/dasbor/wilayah/{DISTRICT}")
        district_tps = len(await tps_in(web.desk, DISTRICT))
        for kind in KINDS:
            assert await _card(page, kind) == (db.filed(kind, DISTRICT), district_tps)
            missing = page.locator(f"#missing details[data-kind={kind}]")
            assert int(await missing.get_attribute("data-total")) == district_tps - db.filed(
                kind, DISTRICT
            )
        await screenshot(page, "district", tmp_path)

        await page.locator(f"#rows tr[data-code='{VILLAGE}'] a").click()
        await page.wait_for_url(f"**/dasbor/wilayah/{VILLAGE}")
        assert await page.locator("#tps-table tbody tr").count() == len(
            await tps_in(web.desk, VILLAGE + "-")
        )
        await page.locator(f"#tps-table tr[data-code='{TPS}'] a").click()
        await page.wait_for_url(f"**/dasbor/tps/{TPS}")
        history = page.locator("#history tbody tr")
        assert await history.count() == len([r for r in db.rows if r[0] == TPS])
        await screenshot(page, "tps", tmp_path)
        await page.locator(".trail a").first.click()  # back up to the city
        await page.wait_for_url(f"**/dasbor/wilayah/{CITY}")


async def test_a_checkin_filed_through_the_bot_appears_live(
    api: FakeBotApi, db_url: str, clock: FakeClock
) -> None:
    async with web_desk(api, db_url, clock) as web, chromium() as browser:
        boss = await web.staff("Pak Dedi", Role.COORDINATOR, CITY, language="en")
        officer = await web.staff("Siti", Role.TPS, TPS)
        page = await signed_in_page(browser, await web.link_for(boss))
        await page.goto(f"{web.base}/dasbor/wilayah/{DISTRICT}")
        assert "TPS ready" in await page.locator("#cards").inner_text()  # English per person
        await page.wait_for_selector("#live-status.on")
        assert await _card(page, "siap") == (0, len(await tps_in(web.desk, DISTRICT)))
        await web.desk.say(officer, "SIAP 06:30 7")
        await page.wait_for_selector(f"#feed li[data-code='{TPS}']", timeout=10_000)
        await page.wait_for_selector("#cards .card[data-kind=siap][data-filed='1']")


async def test_other_regions_and_strangers_are_refused_everywhere(
    api: FakeBotApi, db_url: str, clock: FakeClock
) -> None:
    async with web_desk(api, db_url, clock) as web, chromium() as browser:
        other = await web.staff("Pak Joko", Role.COORDINATOR, "367202")
        page = await signed_in_page(browser, await web.link_for(other))
        assert page.url.endswith("/dasbor/wilayah/367202")
        urls = [
            f"/dasbor/wilayah/{CITY}",
            f"/dasbor/wilayah/{DISTRICT}",
            f"/dasbor/wilayah/{VILLAGE}",
            "/dasbor/wilayah/nasional",
            "/dasbor/wilayah/36",
            f"/dasbor/tps/{TPS}",
            f"/dasbor/dinding/{DISTRICT}",
            f"/dasbor/ekspor/{DISTRICT}",
            f"/dasbor/wilayah/{DISTRICT}?bagian=isi",
        ]
        for url in urls:
            answer = await page.request.get(web.base + url)
            assert answer.status == 403, url
            assert "Cibeber" not in await answer.text(), url
        stranger = await browser.new_context()
        for url in [*urls, "/dasbor", "/dasbor/wilayah/367202", "/dasbor/langsung"]:
            answer = await stranger.request.get(web.base + url)
            assert answer.status == 401, url
        # People who may not open the page get nothing from the bot.
        officer = await web.staff("Siti", Role.TPS, TPS)
        await web.desk.say(officer, "/dasbor")
        assert web.desk.last_text(officer.id) == text("id", "common.not_allowed")
        nobody = web.desk.new_user("Tamu")
        web.desk.api.add_chat(nobody.id, "private", first_name="Tamu")
        await web.desk.say(nobody, "/dasbor")
        assert "/dasbor/masuk/" not in web.desk.last_text(nobody.id)


async def test_expired_reused_signed_out_and_revoked_sessions_are_refused(
    api: FakeBotApi, db_url: str, clock: FakeClock
) -> None:
    async with web_desk(api, db_url, clock) as web, chromium() as browser:
        boss = await web.staff("Bu Rina", Role.COORDINATOR, CITY)
        stale = await web.link_for(boss)
        clock.advance(minutes=11)
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(stale)
        await page.click("#sign-in")
        assert await page.locator("#message").get_attribute("data-key") == "sign_in.expired"

        link = await web.link_for(boss)
        first = await signed_in_page(browser, link)
        again = await (await browser.new_context()).new_page()
        await again.goto(link)
        await again.click("#sign-in")
        assert await again.locator("#message").get_attribute("data-key") == "sign_in.used"

        await first.click("#sign-out")
        answer = await first.request.get(f"{web.base}/dasbor/wilayah/{CITY}")
        assert answer.status == 401

        revoked = await signed_in_page(browser, await web.link_for(boss))
        assert (await revoked.request.get(f"{web.base}/dasbor/wilayah/{CITY}")).status == 200
        admin = await web.staff("Admin", Role.ADMIN, "36")
        await web.desk.say(admin, f"/dasbor_cabut {boss.id}")
        assert "1" in web.desk.last_text(admin.id)
        assert (await revoked.request.get(f"{web.base}/dasbor/wilayah/{CITY}")).status == 401
        again = await signed_in_page(browser, await web.link_for(boss))
        async with web.desk.sessions() as session:
            found = await people.member_by_telegram_id(session, boss.id)
        assert found is not None
        await web.desk.say(admin, f"/dasbor_cabut #{found.id}")  # the number /orang shows
        assert "1" in web.desk.last_text(admin.id)
        assert (await again.request.get(f"{web.base}/dasbor/wilayah/{CITY}")).status == 401
        await web.desk.say(admin, "/dasbor_cabut 999999")
        assert "999999" in web.desk.last_text(admin.id)

        clock.advance(hours=13)  # a session lasts one shift
        late = await signed_in_page(browser, await web.link_for(boss))
        clock.advance(hours=13)
        assert (await late.request.get(f"{web.base}/dasbor/wilayah/{CITY}")).status == 401


async def test_wall_view_and_export_of_the_region_on_screen(
    api: FakeBotApi, db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    async with web_desk(api, db_url, clock) as web, chromium() as browser:
        await _seed(web.desk)
        boss = await web.staff("Bu Rina", Role.ADMIN, CITY)
        page = await signed_in_page(browser, await web.link_for(boss))
        await page.click("#open-wall")
        await page.wait_for_url(f"**/dasbor/dinding/{CITY}")
        assert await page.locator("figure.chart svg").count() == 4
        db = await stored(web.desk)
        for kind in KINDS:
            assert (await _card(page, kind))[0] == db.filed(kind, CITY)
        rotate = await page.locator("#isi").get_attribute("data-rotate")
        assert rotate.split(",")[0] == CITY and len(rotate.split(",")) == 9
        assert await page.locator("#incidents li[data-tps]").count() == 3
        await screenshot(page, "wall", tmp_path)

        answer = await page.request.get(f"{web.base}/dasbor/ekspor/{DISTRICT}")
        assert answer.status == 200
        book = load_workbook(io.BytesIO(await answer.body()), read_only=True)
        async with web.desk.sessions() as session:
            sheets = await export.checkin_sheets(session, DISTRICT, current_only=True)
        expected = localized(sheets, "id", "pemilu2024")  # the same export as /ekspor
        assert book.sheetnames == [sheet.name for sheet in expected]
        for sheet in expected:
            rows = list(book[sheet.name].iter_rows(values_only=True))
            assert len(rows) - 1 == len(sheet.rows), sheet.name


async def test_the_page_catches_up_after_the_bot_and_its_server_restart(
    api: FakeBotApi, db_url: str, clock: FakeClock
) -> None:
    async with web_desk(api, db_url, clock) as web, chromium() as browser:
        boss = await web.staff("Bu Rina", Role.COORDINATOR, CITY)
        page = await signed_in_page(browser, await web.link_for(boss))
        await page.goto(f"{web.base}/dasbor/wilayah/{DISTRICT}")
        await page.wait_for_selector("#live-status.on")
        await web.server.stop()
        await web.desk.restart()
        await page.wait_for_selector("#live-status.off")
        await file(web.desk, [TPS], "siap")  # stored while nobody could tell the page
        web.server = runner.http_server(web.desk.running)  # type: ignore[assignment]
        await web.server.start()
        await page.wait_for_selector("#live-status.on", timeout=15_000)
        await page.wait_for_selector("#cards .card[data-kind=siap][data-filed='1']")


async def test_a_rehearsals_checkins_and_acknowledgements_stay_off_the_page(
    api: FakeBotApi, db_url: str, clock: FakeClock
) -> None:
    async with web_desk(api, db_url, clock) as web, chromium() as browser:
        boss = await web.staff("Bu Rina", Role.ADMIN, CITY)
        officer = await web.staff("Siti", Role.TPS, TPS)
        page = await signed_in_page(browser, await web.link_for(boss))
        await page.goto(f"{web.base}/dasbor/wilayah/{DISTRICT}")
        await page.wait_for_selector("#live-status.on")
        await web.desk.say(boss, "/simulasi mulai")
        await web.desk.say(officer, "SIAP 06:30 7")  # practice
        assert web.desk.last_text(officer.id).startswith("🧪 SIMULASI")
        await web.desk.say(boss, "/simulasi selesai")
        await web.desk.say(officer, "SINYAL LEMAH")  # real, filed after the practice one
        await page.wait_for_selector(f"#feed li[data-code='{TPS}']", timeout=10_000)
        await page.wait_for_selector("#cards .card[data-kind=sinyal][data-filed='1']")
        # Events leave in the order stored: the practice check-in would have come first.
        assert await page.locator("#feed li").count() == 1
        assert await _card(page, "siap") == (0, len(await tps_in(web.desk, DISTRICT)))
        await page.goto(f"{web.base}/dasbor/tps/{TPS}")
        assert await page.locator("#history tbody tr").count() == 1
        async with web.desk.sessions() as session:
            assert [e.kind for e in await dashboard.checkins_after(session, 0)] == ["sinyal"]


async def test_an_acknowledged_broadcast_appears_live_and_nothing_comes_from_other_hosts(
    api: FakeBotApi, db_url: str, clock: FakeClock
) -> None:
    async with web_desk(api, db_url, clock) as web, chromium() as browser:
        boss = await web.staff("Bu Rina", Role.ADMIN, CITY)
        officer = await web.staff("Siti", Role.TPS, TPS)
        page = await signed_in_page(browser, await web.link_for(boss))
        hosts: set[str] = set()
        page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
        await page.goto(f"{web.base}/dasbor/wilayah/{DISTRICT}")
        await page.wait_for_selector("#live-status.on")
        bid, summary = await compose(web.desk, boss, "Harap dibaca", "role", ":tps")
        await send_now(web.desk, boss, summary, bid)
        await wait_done(web.desk, bid)
        received = web.desk.api.last_message(officer.id)
        assert received is not None
        await web.desk.press(officer, received, f"ack:{bid}")
        item = page.locator(f"#feed li[data-code='{TPS}']")
        await item.wait_for(timeout=10_000)
        assert f"#{bid}" in await item.inner_text()
        await page.goto(f"{web.base}/dasbor/dinding/{DISTRICT}")
        await page.wait_for_selector("#live-status.on")
        assert hosts == {urlsplit(web.base).netloc}, hosts


async def test_the_wall_rotates_through_the_regions_below(
    api: FakeBotApi, db_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_views, "WALL_SECONDS", 3)  # more than live.js's 2 s between reads
    async with web_desk(api, db_url, clock) as web, chromium() as browser:
        await _seed(web.desk)
        boss = await web.staff("Bu Rina", Role.COORDINATOR, CITY)
        page = await signed_in_page(browser, await web.link_for(boss))
        await page.goto(f"{web.base}/dasbor/dinding/{CITY}")
        rotate = (await page.locator("#isi").get_attribute("data-rotate")).split(",")
        seen = [await page.locator("#region-name").get_attribute("data-code")]
        for _ in range(2):  # the next region below, each with its own figures
            await page.wait_for_function(
                "code => document.getElementById('region-name').dataset.code !== code",
                arg=seen[-1],
                timeout=10_000,
            )
            seen.append(await page.locator("#region-name").get_attribute("data-code"))
            db = await stored(web.desk)
            for kind in KINDS:
                assert (await _card(page, kind))[0] == db.filed(kind, seen[-1])
        assert seen == rotate[:3]
