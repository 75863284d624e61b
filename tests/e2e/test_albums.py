"""Albums: N photo updates sharing one media_group_id make one check-in, one answer."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from domain.roles import Role
from storage.models import AlbumPart
from tests.e2e.checkins_helpers import conversation, stored, tap
from tests.e2e.conftest import TPS, Desk
from tests.fakebot import FakeUser

CAPTION = "BANJIR 60 PINDAH masjid"


async def officer(desk: Desk, language: str = "id") -> FakeUser:
    siti = desk.new_user("Siti", language_code=language)
    await desk.member(siti, Role.TPS, TPS, language=language)
    return siti


def photo_ids(updates: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [u["message"]["photo"][-1]["file_id"] for u in updates]


@pytest.mark.parametrize("caption_index", [0, 2])
async def test_an_album_with_a_caption_is_one_checkin_with_every_photo(
    desk: Desk, caption_index: int
) -> None:
    siti = await officer(desk)
    mark = desk.api.mark()
    updates = siti.send_album(3, caption=CAPTION, caption_index=caption_index)
    await desk.settle()
    calls = desk.calls_after(mark)
    assert [c.method for c in calls] == ["sendMessage"]
    assert "tidak bisa saya baca" not in desk.last_text(siti.id)
    (row,) = await stored(desk)
    assert row.kind == "banjir" and row.payload["photos"] == photo_ids(updates)
    async with desk.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AlbumPart)) == 0


async def test_an_album_without_a_caption_asks_once_what_kind_it_is(desk: Desk) -> None:
    siti = await officer(desk)
    mark = desk.api.mark()
    updates = siti.send_album(3)
    await desk.settle()
    assert [c.method for c in desk.calls_after(mark)] == ["sendMessage"]
    assert "Pilih jenis laporan" in desk.last_text(siti.id)
    draft = await conversation(desk, siti)
    assert draft is not None and draft.answers["photos"] == photo_ids(updates)
    await tap(desk, siti, "banjir")  # the kind picked: the photos stay with the draft
    draft = await conversation(desk, siti)
    assert draft is not None and draft.flow == "banjir"
    assert draft.answers["photos"] == photo_ids(updates)


async def test_an_album_at_the_photo_step_adds_every_photo_in_one_edit(desk: Desk) -> None:
    siti = await officer(desk)
    await desk.say(siti, "/kejadian")
    await tap(desk, siti, "health")
    await tap(desk, siti, "critical")
    await desk.say(siti, "Ketua KPPS pingsan")
    await tap(desk, siti, "no")
    mark = desk.api.mark()
    updates = siti.send_album(3)
    await desk.settle()
    calls = desk.calls_after(mark)
    assert [c.method for c in calls] == ["editMessageText"]
    assert "📷 3 foto" in desk.last_text(siti.id)
    await tap(desk, siti, "send")
    (row,) = await stored(desk)
    assert row.payload["photos"] == photo_ids(updates)


async def test_an_album_cut_off_by_a_restart_is_filed_once_after_it(desk: Desk) -> None:
    siti = await officer(desk)
    mark = desk.api.mark()
    updates = siti.send_album(3, caption=CAPTION)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:  # every part stored, the quiet period not over
        async with desk.sessions() as session:
            parts = await session.scalar(select(func.count()).select_from(AlbumPart))
        if parts == 3:
            break
        assert loop.time() < deadline, "the album's parts were not stored"
        await asyncio.sleep(0.05)
    await desk.restart()
    await desk.settle()
    assert [c.method for c in desk.calls_after(mark)] == ["sendMessage"]
    (row,) = await stored(desk)
    assert row.payload["photos"] == photo_ids(updates)


async def test_an_album_from_a_stranger_gets_one_answer(desk: Desk) -> None:
    tamu = desk.new_user("Tamu", language_code="en")
    desk.api.add_chat(tamu.id, "private", first_name="Tamu")
    mark = desk.api.mark()
    tamu.send_album(2, caption=CAPTION)
    await desk.settle()
    assert [c.method for c in desk.calls_after(mark)] == ["sendMessage"]
    assert "You are not registered" in desk.last_text(tamu.id)
    assert await stored(desk) == []
