"""The fake Bot API shapes chats as Telegram does: webhooks, upgrades, topics, albums."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated

from .fixtures import make_bot
from .server import FakeBotApi

USER_ID = 5550001


def last_description(api: FakeBotApi) -> str:
    response = api.requests[-1].response
    assert response is not None
    return str(response.get("description"))


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://desk.example/hook", "bad webhook: HTTPS url must be provided for webhook"),
        ("desk.example/hook", "bad webhook: HTTPS url must be provided for webhook"),
        (
            "https://desk.example:8080/hook",
            "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
        ),
    ],
)
async def test_webhook_needs_https(
    fake_api: FakeBotApi, fake_bot: Bot, url: str, error: str
) -> None:
    with pytest.raises(BadRequest):
        await fake_bot.set_webhook(url)
    assert last_description(fake_api) == f"Bad Request: {error}"
    assert fake_api.webhook is None


async def test_webhook_https_ports_and_the_loopback_flag(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    for url in ("https://desk.example/hook", "https://desk.example:8443/hook"):
        assert await fake_bot.set_webhook(url)
        assert fake_api.webhook is not None and fake_api.webhook["url"] == url
    async with (
        FakeBotApi(allow_http_webhooks=True, flood_limits=False) as api,
        make_bot(api) as bot,
    ):
        assert await bot.set_webhook("http://127.0.0.1:8123/hook")
        assert api.webhook is not None and api.webhook["url"] == "http://127.0.0.1:8123/hook"


async def test_group_upgrade_to_supergroup(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    admin = fake_api.user(USER_ID, first_name="Ketua")
    fake_api.group(-4001, "Desk Kota", "group").send_text(admin, "/daftargrup")
    await fake_bot.send_message(-4001, "terdaftar")
    new_id = fake_api.upgrade_group(-4001, by=admin)
    assert str(new_id).startswith("-100") and len(str(new_id)) == 14

    updates = await fake_bot.get_updates()
    to, came = updates[1].message, updates[2].message
    assert to is not None and came is not None
    assert (to.chat.id, to.chat.type, to.migrate_to_chat_id) == (-4001, "group", new_id)
    assert to.from_user is not None and to.from_user.id == USER_ID
    assert (came.chat.id, came.chat.type, came.migrate_from_chat_id) == (
        new_id,
        "supergroup",
        -4001,
    )
    assert came.from_user is not None and came.from_user.username == "GroupAnonymousBot"
    assert came.sender_chat is not None and came.sender_chat.id == new_id

    with pytest.raises(ChatMigrated) as info:
        await fake_bot.send_message(-4001, "alert")
    assert info.value.new_chat_id == new_id
    assert fake_api.requests[-1].response == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": new_id},
    }
    assert (await fake_bot.send_message(new_id, "alert")).chat.type == "supergroup"
    with pytest.raises(ValueError, match="basic group"):
        fake_api.upgrade_group(new_id)


async def test_upgrade_service_messages_in_either_order(fake_api: FakeBotApi) -> None:
    group = fake_api.group(-4002, "Desk", "group")
    fake_api.add_chat(-4002, "group", title="Desk")  # known to Telegram without an update
    new_group = group.upgrade(from_first=True)
    kinds = [
        next(k for k in u["message"] if k.startswith("migrate")) for u in fake_api.updates_pending()
    ]
    assert kinds == ["migrate_from_chat_id", "migrate_to_chat_id"]
    assert new_group.id == fake_api.updates_pending()[0]["message"]["chat"]["id"]


async def test_forum_topics(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    member = fake_api.user(USER_ID)
    forum = fake_api.group(-100600, "Desk Provinsi", is_forum=True)
    digests = forum.create_topic(member, "Rekap")
    forum.send_text(member, "/rekap", thread_id=digests)
    forum.send_text(member, "di General")
    updates = await fake_bot.get_updates()
    created, inside, general = (u.message for u in updates)
    assert created is not None and created.forum_topic_created is not None
    assert created.message_id == digests and created.forum_topic_created.name == "Rekap"
    assert inside is not None and inside.chat.is_forum
    assert (inside.message_thread_id, inside.is_topic_message) == (digests, True)
    assert general is not None and general.message_thread_id is None

    topic = await fake_bot.create_forum_topic(-100600, "Insiden")
    incidents = topic.message_thread_id
    sent = await fake_bot.send_message(-100600, "rekap pagi", message_thread_id=digests)
    assert (sent.message_thread_id, sent.is_topic_message) == (digests, True)
    to_general = await fake_bot.send_message(-100600, "umum")
    assert to_general.message_thread_id is None and not to_general.is_topic_message

    assert await fake_bot.close_forum_topic(-100600, incidents)
    with pytest.raises(BadRequest):
        await fake_bot.send_message(-100600, "banjir", message_thread_id=incidents)
    assert last_description(fake_api) == "Bad Request: TOPIC_CLOSED"
    assert await fake_bot.reopen_forum_topic(-100600, incidents)
    assert await fake_bot.send_message(-100600, "banjir", message_thread_id=incidents)
    assert await fake_bot.delete_forum_topic(-100600, incidents)
    for thread in (incidents, 9999):
        with pytest.raises(BadRequest):
            await fake_bot.send_message(-100600, "banjir", message_thread_id=thread)
        assert last_description(fake_api) == "Bad Request: message thread not found"
    forum.delete_topic(digests)  # an admin deletes it in the app
    with pytest.raises(BadRequest):
        await fake_bot.send_message(-100600, "rekap", message_thread_id=digests)
    assert [m["text"] for m in fake_api.messages_to(-100600)] == ["umum"]
    fake_api.add_chat(-100601)
    with pytest.raises(BadRequest):
        await fake_bot.create_forum_topic(-100601, "x")
    assert last_description(fake_api) == "Bad Request: the chat is not a forum"


async def test_user_closes_a_topic(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    member = fake_api.user(USER_ID)
    forum = fake_api.group(-100602, "Desk", is_forum=True)
    thread = forum.create_topic(member, "Insiden")
    forum.close_topic(member, thread)
    updates = await fake_bot.get_updates()
    closed = updates[-1].message
    assert closed is not None and closed.forum_topic_closed is not None
    assert closed.message_thread_id == thread
    with pytest.raises(BadRequest, match="Topic_closed"):
        await fake_bot.send_message(-100602, "x", message_thread_id=thread)


@pytest.mark.parametrize("caption_index", [0, 2, None])
async def test_album_is_one_update_per_photo(
    fake_api: FakeBotApi, fake_bot: Bot, caption_index: int | None
) -> None:
    user = fake_api.user(USER_ID)
    if caption_index is None:
        user.send_album(3)
    else:
        user.send_album(3, caption="BANJIR 60 PINDAH masjid", caption_index=caption_index)
    user.send_album(2)
    messages = [u.message for u in await fake_bot.get_updates()]
    assert all(m is not None and m.photo for m in messages) and len(messages) == 5
    first, second = (
        {m.media_group_id for m in messages[:3] if m},
        {m.media_group_id for m in messages[3:] if m},
    )
    assert len(first) == 1 and len(second) == 1 and first != second and None not in first
    captions = [m.caption for m in messages[:3] if m]
    expected = [None] * 3
    if caption_index is not None:
        expected[caption_index] = "BANJIR 60 PINDAH masjid"
    assert captions == expected
    assert len({m.photo[-1].file_id for m in messages if m}) == 5


async def test_album_in_a_group(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    group = fake_api.group(-100700, "Saksi")
    group.send_album(fake_api.user(USER_ID), 2, caption="C1", caption_index=1)
    messages = [u.message for u in await fake_bot.get_updates()]
    assert [m.caption for m in messages if m] == [None, "C1"]
    with pytest.raises(ValueError, match="2 to 10"):
        group.send_album(fake_api.user(USER_ID), 11)
