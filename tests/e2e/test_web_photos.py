"""Photos on the desk page: served from DOWNLOAD_DIR, only inside the viewer's scope."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from domain.roles import Role
from storage import people, web_auth
from tests.conftest import FakeClock
from tests.e2e.conftest import TPS
from tests.e2e.digest_support import file
from tests.e2e.web_support import web_desk
from tests.fakebot import FakeBotApi
from web.auth import COOKIE

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100


async def _cookie(web, user_id: int) -> str:  # type: ignore[no-untyped-def]
    async with web.desk.sessions.begin() as session:
        member = await people.member_by_telegram_id(session, user_id)
        assert member is not None
        token = await web_auth.create_login(session, member.id, web.desk.clock())
        signed = await web_auth.redeem_login(session, token, web.desk.clock())
    assert isinstance(signed, web_auth.SignedIn)
    return signed.token


async def test_photos_are_served_inside_the_scope_only(
    api: FakeBotApi, db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    async with web_desk(api, db_url, clock, download_dir=tmp_path) as web:
        (checkin,) = await file(
            web.desk, [TPS], "banjir", severity="severe",
            payload={"water_cm": 100, "usable": False, "photos": ["file-a"]},
        )  # fmt: skip
        (tmp_path / TPS).mkdir()
        (tmp_path / TPS / f"{checkin}-1.jpg").write_bytes(JPEG)
        mine = await web.staff("Rina", Role.COORDINATOR, TPS[:6])
        other = await web.staff("Joko", Role.COORDINATOR, "367202")
        url = f"{web.base}/dasbor/foto/{checkin}/1"
        async with aiohttp.ClientSession(cookies={COOKIE: await _cookie(web, mine.id)}) as c:
            async with c.get(url) as answer:
                assert answer.status == 200 and await answer.read() == JPEG
            async with c.get(f"{web.base}/dasbor/foto/{checkin}/2") as answer:
                assert answer.status == 404  # one photo only
            async with c.get(f"{web.base}/dasbor/wilayah/{TPS[:6]}") as answer:
                assert f'src="/dasbor/foto/{checkin}/1"' in await answer.text()
        outsider = {COOKIE: await _cookie(web, other.id)}
        async with aiohttp.ClientSession(cookies=outsider) as c, c.get(url) as answer:
            assert answer.status == 403
        async with aiohttp.ClientSession() as c, c.get(url) as answer:
            assert answer.status == 401
