"""What the bot owes arrives, once: bursts above the flood limits, 429s, 5xx, outages, long texts.

Every test runs against the fake Bot API with Telegram's flood limits on (its default), on both
backends. The assertions are the outcomes a desk needs: every stored line receipted exactly
once, nothing sent twice, nothing refused for length.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import app as app_module
from domain.outbox import MAX_TEXT, OutStatus
from domain.roles import Role
from storage import desk_groups
from storage.models import AuditLog, Checkin, DeskGroup, OutboxMessage, Tps
from tests.checkins_seed import add_checkin
from tests.conftest import FakeClock
from tests.e2e.conftest import TPS, Desk, open_desk
from tests.fakebot import TELEGRAM_DEFAULT_LIMITS, TELEGRAM_STRICT_LIMITS, FakeUser

LINE = "SIAP 06:30 7"


async def officers(desk: Desk, count: int) -> list[FakeUser]:
    """`count` TPS officers of Kota Cilegon, each of their own TPS."""
    async with desk.sessions() as session:
        tps_ids = list((await session.scalars(select(Tps.id).order_by(Tps.id).limit(count))).all())
    people = []
    for n, tps_id in enumerate(tps_ids):
        user = desk.new_user(f"KPPS {n}")
        await desk.member(user, Role.TPS, tps_id)
        people.append(user)
    return people


async def checkin_count(desk: Desk) -> int:
    async with desk.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Checkin)) or 0)


def receipts_to(desk: Desk, user: FakeUser) -> list[str]:
    return [t for t in desk.texts_to(user.id) if "Laporan #" in t]


async def outbox_statuses(desk: Desk) -> dict[str, int]:
    async with desk.sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return {status: int(n) for status, n in rows.all()}


@pytest.mark.parametrize("limits", ["telegram", "strict"])
async def test_200_officers_at_once_each_get_one_receipt(
    db_url: str, clock: FakeClock, limits: str
) -> None:
    """Above 30 a second, with replies capped too in the strict case: all stored, all
    receipted once, no apology, no 429 left unanswered."""
    options: dict[str, Any] = dict(
        TELEGRAM_DEFAULT_LIMITS if limits == "telegram" else TELEGRAM_STRICT_LIMITS
    )
    async with open_desk(db_url, clock, api_options=options) as desk:
        people = await officers(desk, 200)
        now = clock().timestamp()
        for user in people:
            user.send_text(LINE, date=now)
        await desk.settle(timeout=120)
        assert await checkin_count(desk) == 200
        assert [len(receipts_to(desk, u)) for u in people] == [1] * 200
        assert not any("coba lagi" in t for u in people for t in desk.texts_to(u.id))
        assert await outbox_statuses(desk) == {OutStatus.SENT.value: 200}


async def test_a_burst_is_taken_from_telegram_only_as_fast_as_it_is_handled(
    db_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Backpressure (`outbox.backlog`): with room for 20 updates in hand, 200 lines at once
    are fetched in many small rounds, never more than 20 waiting in memory; all are stored and
    receipted once."""
    monkeypatch.setattr(app_module, "BACKLOG_MIN", 20)
    monkeypatch.setattr(app_module, "BACKLOG_PER_SLOT", 0)
    async with open_desk(db_url, clock) as desk:
        people = await officers(desk, 200)
        now = clock().timestamp()
        for user in people:
            user.send_text(LINE, date=now)
        await desk.settle(timeout=120)
        backlog = desk.running.app.bot_data.backlog
        assert backlog is not None and backlog.limit == 20
        assert 0 < backlog.peak <= 20
        assert backlog.count == 0
        assert desk.api.count("getUpdates") >= 200 // 20
        assert await checkin_count(desk) == 200
        assert [len(receipts_to(desk, u)) for u in people] == [1] * 200


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_a_refused_receipt_arrives_later_once(desk: Desk, status: int) -> None:
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    desk.api.fail_next("sendMessage", status=status)
    siti.send_text(LINE, date=desk.clock().timestamp())
    await desk.settle(timeout=30)
    assert await checkin_count(desk) == 1
    (receipt,) = receipts_to(desk, siti)
    assert "#1" in receipt
    assert desk.texts_to(siti.id) == [receipt]  # no apology, nothing else
    assert desk.api.count("sendMessage", chat_id=siti.id) == 2  # refused once, then sent


async def test_a_reply_whose_answer_was_lost_is_not_sent_twice(desk: Desk) -> None:
    """The request reached Telegram but the connection dropped before the answer: it may have
    arrived, so it is recorded as uncertain and never sent again."""
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    desk.api.fail_next("sendMessage", status="network", execute=True)
    siti.send_text(LINE, date=desk.clock().timestamp())
    await desk.settle(timeout=30)
    await asyncio.sleep(0.5)
    assert len(receipts_to(desk, siti)) == 1  # the one Telegram executed
    assert desk.api.count("sendMessage", chat_id=siti.id) == 1
    assert await outbox_statuses(desk) == {OutStatus.UNCERTAIN.value: 1}


@pytest.mark.parametrize(
    "filler",
    ["jalan desa tergenang dan listrik padam ", "🌊🚣 air sepinggang 🌧️🌧️ "],
    ids=["plain", "emoji"],  # an emoji is two characters as Telegram counts them
)
async def test_a_long_history_arrives_whole_in_several_messages(desk: Desk, filler: str) -> None:
    camat = desk.new_user("Pak Camat")
    await desk.member(camat, Role.CAMAT, TPS[:6])
    notes = [f"Catatan {n}: " + (filler * 14) for n in range(9)]
    async with desk.sessions.begin() as session:
        for n, note in enumerate(notes):
            await add_checkin(
                session,
                tps_id=TPS,
                kind="kejadian",
                at=desk.clock() + timedelta(minutes=n),
                severity="severe",
                payload={"category": "other", "severity": "high", "text": note},
            )
    calls = await desk.say(camat, f"/riwayat {TPS} kejadian")
    sent = [c for c in calls if c.method == "sendMessage"]
    assert len(sent) >= 2 and all(c.ok for c in sent)
    assert all(len(c.params["text"]) <= MAX_TEXT for c in sent)
    whole = "".join(c.params["text"] for c in sent)
    for n in range(9):
        assert f"Catatan {n}:" in whole
    # the parts arrive in their order (only the first may leave without a claim of its own):
    # the notes read newest first across the parts, as in one text
    places = [whole.index(f"Catatan {n}:") for n in range(9)]
    assert places == sorted(places, reverse=True)
    assert not any("gangguan" in c.params["text"] for c in sent)


async def test_an_upgraded_desk_group_gets_its_messages_at_the_new_id(desk: Desk) -> None:
    """A message refused with migrate_to_chat_id moves the desk group (audited) and goes to
    the supergroup, once."""
    admin = desk.new_user("Admin")
    member = await desk.member(admin, Role.ADMIN, "36")
    old = -4001
    desk.api.add_chat(old, "group", title="Desk Cilegon")

    async with desk.sessions.begin() as session:
        await desk_groups.register_group(
            session, chat_id=old, title="Desk Cilegon", scope="36", by=member.id, now=desk.clock()
        )
    new = desk.api.upgrade_group(old)
    await desk.settle()
    sender = desk.running.services.out
    from outbox import messages

    await sender.send(*messages.text_message(old, "Uji kirim", proactive=True), wait=False)
    await desk.settle(timeout=20)
    assert [m.get("text") for m in desk.api.messages_to(new)].count("Uji kirim") == 1
    async with desk.sessions() as session:
        groups = {g.chat_id: g.active for g in (await session.scalars(select(DeskGroup))).all()}
        moved = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "group_migrated"))
        ).all()
    assert groups == {old: False, new: True}
    assert len(moved) == 1 and moved[0].detail == {"from": old, "to": new, "title": "Desk Cilegon"}


async def test_a_blocked_officer_is_marked_unreachable_and_not_retried(desk: Desk) -> None:
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    desk.api.block(siti.id)
    from outbox import messages

    sender = desk.running.services.out
    await sender.send(*messages.text_message(siti.id, "Pengingat", proactive=True), wait=False)
    await desk.settle(timeout=20)
    assert desk.api.count("sendMessage", chat_id=siti.id) == 1
    assert await outbox_statuses(desk) == {OutStatus.UNREACHABLE.value: 1}
    async with desk.sessions() as session:
        from storage.models import Person

        person = await session.scalar(select(Person).where(Person.telegram_id == siti.id))
    assert person is not None and person.reachable is False
    admin = desk.new_user("Admin")
    await desk.member(admin, Role.ADMIN, "36")
    await desk.say(admin, "/gagal")
    report = desk.last_text(admin.id)
    assert "Tidak ada pesan masuk yang disisihkan" in report
    assert "1 tidak terjangkau" in report and "0 menunggu" in report


@pytest.mark.parametrize("fails", ["after_storing", "before_storing"])
async def test_the_apology_after_a_failing_line_is_true_and_admins_see_it(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, fails: str
) -> None:
    """A line whose handling keeps failing is tried three times, then set aside (`/gagal`
    shows it) and the officer is told. A stored line is never followed by "try again"; a line
    that was not stored is."""
    import handlers.checkins.quick as quick

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("listener down")

    monkeypatch.setattr(quick, "after_filed" if fails == "after_storing" else "store", broken)
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    siti.send_text(LINE, date=desk.clock().timestamp())
    await desk.settle(timeout=30)  # tried again after 1 and 4 s
    texts = desk.texts_to(siti.id)
    if fails == "after_storing":
        assert await checkin_count(desk) == 1
        assert len(receipts_to(desk, siti)) == 1  # keyed: the tries after the first send none
        assert "tidak perlu dikirim lagi" in texts[-1]
        assert not any("coba" in t.lower() for t in texts)
    else:
        assert await checkin_count(desk) == 0
        assert texts == [texts[-1]] and "Coba kirim lagi" in texts[-1]
    admin = desk.new_user("Admin")
    await desk.member(admin, Role.ADMIN, "36")
    await desk.say(admin, "/gagal")
    report = desk.last_text(admin.id)
    assert "1 pesan masuk gagal diproses 3 kali dan disisihkan" in report
    assert "RuntimeError: listener down" in report


async def test_what_must_wait_goes_by_priority_and_a_receipt_does_not_wait(
    db_url: str, clock: FakeClock
) -> None:
    """Eight proactive messages queued at once at a bulk cap of 1 a second, broadcasts first
    in the queue: they leave alerts, reminders, digests, broadcasts; an officer's receipt
    meanwhile is not held behind them."""
    from domain.outbox import Priority
    from outbox import messages

    async with open_desk(db_url, clock, send_rate=1) as desk:
        siti, *others = await officers(desk, 9)
        kinds = [Priority.BROADCAST, Priority.DIGEST, Priority.REMINDER, Priority.ALERT]
        calls = []
        for n, user in enumerate(others):
            kind = kinds[n % len(kinds)]
            calls += messages.text_message(user.id, kind.name, priority=kind, proactive=True)
        await desk.running.services.out.send(*calls, wait=False)
        siti.send_text(LINE, date=clock().timestamp())
        await desk.settle(timeout=60)
        sent = [
            str(r.params.get("text"))
            for r in desk.api.requests
            if r.method == "sendMessage" and r.ok
        ]
        proactive = [t for t in sent if t in Priority.__members__]
        assert proactive == ["ALERT"] * 2 + ["REMINDER"] * 2 + ["DIGEST"] * 2 + ["BROADCAST"] * 2
        (receipt,) = [n for n, t in enumerate(sent) if "Laporan" in t]
        assert receipt < sent.index("DIGEST")


async def test_a_quiet_receipt_commits_claimed_with_its_checkin_and_leaves_once(
    desk: Desk,
) -> None:
    """On the quiet path the receipt is queued already claimed (`sending`, one attempt) in the
    check-in's own transaction, so it leaves without a claim transaction; it still leaves once
    and is recorded sent. After a 429 on a reply, replies are held back: an answer is then
    queued `pending` and claimed by the sender as it leaves (still once)."""
    sender = desk.running.services.sender
    siti, budi, ani = desk.new_user("Siti"), desk.new_user("Budi"), desk.new_user("Ani")
    await desk.member(siti, Role.TPS, TPS)
    async with desk.sessions() as session:
        others = (await session.scalars(select(Tps.id).where(Tps.id != TPS).limit(2))).all()
    await desk.member(budi, Role.TPS, others[0])
    await desk.member(ani, Role.TPS, others[1])
    before = sender.preclaimed_count
    siti.send_text(LINE, date=desk.clock().timestamp())
    await desk.settle(timeout=30)
    assert sender.preclaimed_count == before + 1
    async with desk.sessions() as session:
        (row,) = (await session.scalars(select(OutboxMessage))).all()
    assert (row.status, row.attempts, row.claimed_at) == (
        OutStatus.SENT.value,
        1,
        row.created_at,
    )
    assert len(receipts_to(desk, siti)) == 1

    # A 429 on the receipt of a chat that had nothing else lately (not Telegram's per-chat
    # limit, `ChatPacer.busy`): Telegram holds replies back, so they are paced from here.
    desk.api.fail_next("sendMessage", status=429)
    ani.send_text(LINE, date=desk.clock().timestamp())
    await desk.settle(timeout=30)
    preclaimed = sender.preclaimed_count
    budi.send_text(LINE, date=desk.clock().timestamp())
    await desk.settle(timeout=30)
    assert sender.preclaimed_count == preclaimed  # replies paced after the 429: no shortcut
    assert [len(receipts_to(desk, u)) for u in (siti, ani, budi)] == [1, 1, 1]
    assert await outbox_statuses(desk) == {OutStatus.SENT.value: 3}


async def test_one_officer_tapping_fast_does_not_slow_everyone_elses_receipts(
    db_url: str, clock: FakeClock
) -> None:
    """Telegram's limits as published (replies not held to the bulk cap, about one message a
    second per chat with short bursts) and a bulk cap of 5 a second: one officer sends 13
    lines in a row and meets the per-chat limit. Only that chat waits: 30 officers filing
    next get their receipts at once, not at 5 a second for a minute; the fast one gets all
    13, once each."""
    async with open_desk(
        db_url, clock, send_rate=5, api_options=dict(TELEGRAM_DEFAULT_LIMITS)
    ) as desk:
        fast, *others = await officers(desk, 31)
        now = clock().timestamp()
        for n in range(13):
            fast.send_text(f"SIAP 06:{10 + n} 7", date=now)
        for _ in range(200):
            if desk.api.count_429("sendMessage", chat_id=fast.id):
                break
            await asyncio.sleep(0.05)
        assert desk.api.count_429("sendMessage", chat_id=fast.id) >= 1
        mark = desk.api.mark()
        for user in others:
            user.send_text(LINE, date=now)
        await desk.settle(timeout=60)

        assert [len(receipts_to(desk, u)) for u in others] == [1] * 30
        quick = [
            r.flood.at
            for r in desk.api.requests
            if r.seq > mark and r.flood is not None and r.flood.chat_id != fast.id
        ]
        # at 5 a second the 30 would take 6 s; unpaced, they leave as they are stored
        assert max(quick) - min(quick) < 3.0, max(quick) - min(quick)
        assert len(receipts_to(desk, fast)) == 13
        assert len(set(receipts_to(desk, fast))) == 13
        assert desk.api.count_429() == desk.api.count_429(chat_id=fast.id)
        limiter = desk.running.services.out.limiter
        assert limiter.chat_flood_count >= 1
        assert not limiter.paced(proactive=False, now=time.monotonic())


async def test_a_receipt_waiting_out_an_outage_goes_as_soon_as_telegram_is_back(
    desk: Desk,
) -> None:
    """The receipt is refused (502), then Telegram is down for 18 s: its back-off would have
    it wait until about 30 s. The sender asks Telegram every 2 s whether it answers again and
    sends it at once when it does: once, within a few seconds of the end."""
    siti = desk.new_user("Siti")
    await desk.member(siti, Role.TPS, TPS)
    desk.api.fail_next("sendMessage", status=502)
    siti.send_text(LINE, date=desk.clock().timestamp())
    for _ in range(200):
        if desk.api.count("sendMessage", chat_id=siti.id):
            break
        await asyncio.sleep(0.02)
    desk.api.outage(18.0, status=502)
    back_at = time.monotonic() + 18.0
    for _ in range(600):
        if receipts_to(desk, siti):
            break
        await asyncio.sleep(0.1)
    arrived = time.monotonic()
    await desk.settle(timeout=30)
    (receipt,) = receipts_to(desk, siti)
    assert "#1" in receipt and desk.texts_to(siti.id) == [receipt]
    assert await checkin_count(desk) == 1
    assert arrived - back_at < 4.0, arrived - back_at  # not at the back-off's next step
    assert desk.running.services.sender.recovery.pulled >= 1
