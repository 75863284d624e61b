"""Unusual senders and contents, shaped as Telegram sends them: anonymous admins,
channels, stickers, polls, voice notes, Telegram Business; a blocked user's edits."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden

from .server import FakeBotApi

USER_ID = 5550001


def last_description(api: FakeBotApi) -> str:
    response = api.requests[-1].response
    assert response is not None
    return str(response.get("description"))


async def test_anonymous_admin_and_channel_senders(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    group = fake_api.group(-100800, "Desk Kota")
    channel = fake_api.channel(-100900, "KPU Kota")
    group.send_text(group.anonymous, "/rekap")
    group.send_text(channel, "pengumuman")
    group.send_text(channel, "diteruskan", automatic_forward=True)
    channel.post("siaran")
    anonymous, as_channel, forwarded, post = await fake_bot.get_updates()

    message = anonymous.message
    assert message is not None and message.from_user is not None
    assert (message.from_user.id, message.from_user.username) == (1087968824, "GroupAnonymousBot")
    assert message.sender_chat is not None and message.sender_chat.id == -100800
    assert message.text == "/rekap" and message.entities[0].type == "bot_command"

    message = as_channel.message
    assert message is not None and message.from_user is not None
    assert message.from_user.username == "Channel_Bot"
    assert message.sender_chat is not None
    assert (message.sender_chat.id, message.sender_chat.type) == (-100900, "channel")

    message = forwarded.message
    assert message is not None and message.is_automatic_forward
    assert message.from_user is not None and message.from_user.id == 777000
    assert message.forward_origin is not None and message.forward_origin.type == "channel"

    assert post.channel_post is not None and post.channel_post.chat.type == "channel"
    assert post.channel_post.from_user is None


async def test_stickers_polls_and_voice_notes(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    user = fake_api.user(USER_ID)
    group = fake_api.group(-100801, "Saksi")
    user.send_poll("Hadir?", ("Ya", "Tidak", "Nanti"))
    group.send_sticker(user, "🎉")
    group.send_poll(group.anonymous, "Rapat jam 7?")
    group.send_voice(user, 4)
    raw_voice = fake_api.updates_pending()[-1]["message"]["voice"]
    assert raw_voice["duration"] == 4 and raw_voice["mime_type"] == "audio/ogg"
    poll, sticker, group_poll, voice = (u.message for u in await fake_bot.get_updates())
    assert poll is not None and poll.poll is not None
    assert [o.text for o in poll.poll.options] == ["Ya", "Tidak", "Nanti"]
    assert sticker is not None and sticker.sticker is not None and sticker.sticker.emoji == "🎉"
    assert group_poll is not None and group_poll.poll is not None
    assert group_poll.sender_chat is not None and group_poll.sender_chat.id == -100801
    assert voice is not None and voice.voice is not None and voice.voice.file_size


async def test_business_messages(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    owner = fake_api.user(USER_ID, first_name="Toko")
    customer = fake_api.user(USER_ID + 1, first_name="Pembeli")
    connection = fake_api.connect_business(owner, connection_id="bc-1")
    connection.send_text(customer, "halo")
    connected, written = await fake_bot.get_updates()
    assert connected.business_connection is not None
    assert connected.business_connection.user.id == USER_ID
    assert connected.business_connection.is_enabled
    message = written.business_message
    assert message is not None and message.business_connection_id == "bc-1"
    assert message.chat.id == customer.id and message.chat.type == "private"
    assert written.message is None

    with pytest.raises(BadRequest, match="Chat not found"):
        await fake_bot.send_message(customer.id, "jawaban")
    answer = await fake_bot.send_message(customer.id, "jawaban", business_connection_id="bc-1")
    assert answer.business_connection_id == "bc-1" and answer.chat.id == customer.id
    assert answer.from_user is not None and answer.from_user.id == USER_ID
    assert [m["text"] for m in connection.messages] == ["halo", "jawaban"]
    assert fake_api.messages_to(customer.id) == []
    info = await fake_bot.get_business_connection("bc-1")
    assert info.user_chat_id == USER_ID
    connection.disconnect()
    with pytest.raises(BadRequest):
        await fake_bot.send_message(customer.id, "lagi", business_connection_id="bc-1")
    assert last_description(fake_api) == "Bad Request: BUSINESS_CONNECTION_INVALID"


async def test_blocked_user_refuses_edits(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.user(USER_ID).send_text("/start")
    sent = await fake_bot.send_message(USER_ID, "Pilih bahasa")
    fake_api.block(USER_ID)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await fake_bot.edit_message_text("Bahasa: Indonesia", USER_ID, sent.message_id)
    assert fake_api.requests[-1].status == 403
    assert last_description(fake_api) == "Forbidden: bot was blocked by the user"
    assert fake_api.last_message(USER_ID) is not None
    assert fake_api.last_message(USER_ID)["text"] == "Pilih bahasa"  # type: ignore[index]
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await fake_bot.edit_message_reply_markup(USER_ID, sent.message_id)
