"""The fake Bot API as a source of updates: polling, offsets, webhooks, user actions, an app."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from .fixtures import make_bot
from .server import FakeBotApi

USER_ID = 5550001


def last_description(api: FakeBotApi) -> str:
    """The raw description of the last answer (PTB re-capitalizes error messages)."""
    response = api.requests[-1].response
    assert response is not None
    return str(response.get("description"))


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"Pilih {d}", callback_data=d) for d in data]]
    )


async def test_long_polling_returns_when_update_arrives(
    fake_api: FakeBotApi, fake_bot: Bot
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(fake_bot.get_updates(timeout=2))
    await asyncio.sleep(0.3)
    assert not poll.done()
    fake_api.user(USER_ID).send_text("/start")
    updates = await asyncio.wait_for(poll, 1.5)
    assert time.monotonic() - started < 1.5
    assert len(updates) == 1 and updates[0].message is not None
    assert updates[0].message.text == "/start"
    assert updates[0].message.entities[0].type == "bot_command"


async def test_long_polling_waits_for_timeout(fake_bot: Bot) -> None:
    started = time.monotonic()
    assert await fake_bot.get_updates(timeout=1) == ()
    assert time.monotonic() - started >= 0.9


async def test_offsets_confirm_updates(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    user = fake_api.user(USER_ID)
    ids = [user.send_text(f"pesan {i}")["update_id"] for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    first = await fake_bot.get_updates(limit=2)
    assert [u.update_id for u in first] == ids[:2]
    again = await fake_bot.get_updates()  # nothing confirmed yet
    assert [u.update_id for u in again] == ids
    rest = await fake_bot.get_updates(offset=ids[1] + 1)
    assert [u.update_id for u in rest] == ids[2:]
    assert [u["update_id"] for u in fake_api.updates_pending()] == ids[2:]
    assert await fake_bot.get_updates(offset=ids[2] + 1) == ()
    assert fake_api.updates_pending() == []


async def test_concurrent_get_updates_conflict(fake_api: FakeBotApi) -> None:
    async with make_bot(fake_api) as first, make_bot(fake_api) as second:
        pending = asyncio.create_task(first.get_updates(timeout=3))
        await fake_api.wait_polling()
        assert fake_api.polling
        newer = await second.get_updates(timeout=0)
        assert newer == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(pending, 2)
    assert any(r.status == 409 for r in fake_api.requests if r.method == "getUpdates")


async def test_webhook_blocks_get_updates(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    assert await fake_bot.set_webhook("https://example.test/hook", secret_token="rahasia_1")
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await fake_bot.get_updates()
    info = await fake_bot.get_webhook_info()
    assert info.url == "https://example.test/hook"
    assert fake_api.webhook is not None and fake_api.webhook["secret_token"] == "rahasia_1"
    assert await fake_bot.delete_webhook()
    assert await fake_bot.get_updates() == ()


async def test_post_webhook_update() -> None:
    async with (
        FakeBotApi(allow_http_webhooks=True, flood_limits=False) as fake_api,
        make_bot(fake_api) as fake_bot,
    ):
        await post_webhook_update(fake_api, fake_bot)


async def post_webhook_update(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        await fake_bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        update = fake_api.user(USER_ID).send_text("/start")
        assert len(fake_api.updates_pending()) == 1
        assert await fake_api.post_webhook_update(update) == 200
        assert received == [("s3cret", update)]
        assert fake_api.updates_pending() == []
    finally:
        await runner.cleanup()


async def test_user_updates_deserialize(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    user = fake_api.user(USER_ID, first_name="Siti", username="siti")
    user.send_text("/lapor@desk_pemilu_test_bot TPS 5")
    user.send_photo(caption="C1")
    user.send_location(-6.2, 106.8)
    user.send_sticker()
    user.send_voice()
    user.send_document("c1.pdf")
    user.send_contact("+628123")
    bot_msg = await fake_bot.send_message(USER_ID, "pilih", reply_markup=keyboard("ya"))
    user.press(bot_msg.to_dict(), "ya")
    group = fake_api.group(-100777, "Relawan")
    group.send_text(user, "/rekap")
    fake_api.add_member_update(group, user, status="administrator")

    updates = await fake_bot.get_updates()
    assert len(updates) == 10
    first = updates[0].message
    assert first is not None and first.text is not None and first.text.startswith("/lapor")
    assert first.entities[0].type == "bot_command" and first.entities[0].length == len(
        "/lapor@desk_pemilu_test_bot"
    )
    assert updates[1].message is not None and updates[1].message.photo[-1].width == 800
    assert updates[2].message is not None and updates[2].message.location is not None
    assert updates[3].message is not None and updates[3].message.sticker is not None
    assert updates[4].message is not None and updates[4].message.voice is not None
    document = updates[5].message.document if updates[5].message else None
    assert document is not None and document.file_name == "c1.pdf"
    contact = updates[6].message.contact if updates[6].message else None
    assert contact is not None and contact.phone_number == "+628123"
    query = updates[7].callback_query
    assert query is not None and query.data == "ya" and query.message is not None
    assert query.message.message_id == bot_msg.message_id and query.from_user.id == USER_ID
    assert updates[8].message is not None and updates[8].message.chat.id == -100777
    member = updates[9].my_chat_member
    assert member is not None and member.new_chat_member.status == "administrator"
    assert await query.answer("Terima kasih")
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer("lagi")
    photo_file = await fake_bot.get_file(updates[1].message.photo[-1].file_id)
    assert (await photo_file.download_as_bytearray()).startswith(b"\xff\xd8")


async def test_allowed_updates_and_block_notification(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    user = fake_api.user(USER_ID)
    user.send_text("diabaikan")
    sent = await fake_bot.send_message(USER_ID, "tombol", reply_markup=keyboard("x"))
    press = user.press(sent.to_dict(), "x")
    updates = await fake_bot.get_updates(allowed_updates=["callback_query"])
    assert [u.update_id for u in updates] == [press["update_id"]]
    await fake_bot.answer_callback_query(press["callback_query"]["id"], text="ok")
    assert fake_api.callback_answers[press["callback_query"]["id"]]["text"] == "ok"
    blocked = fake_api.block(USER_ID, notify=True)
    assert blocked is not None
    later = await fake_bot.get_updates(
        offset=press["update_id"] + 1, allowed_updates=["my_chat_member", "message"]
    )
    assert len(later) == 1 and later[0].my_chat_member is not None
    assert later[0].my_chat_member.new_chat_member.status == "kicked"


async def test_push_malformed_update(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    raw = fake_api.push_update({"message": {"text": "tanpa chat"}})
    assert raw["update_id"] == 1
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{fake_api.base_url}{fake_api.token}/getUpdates")
    assert response.json()["result"] == [raw]
    with pytest.raises(KeyError):  # PTB itself cannot parse a message without date/chat
        await fake_bot.get_updates()


async def test_push_duplicate(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    update = fake_api.user(USER_ID).send_text("sekali")
    first = await fake_bot.get_updates()
    assert [u.update_id for u in first] == [update["update_id"]]
    fake_api.push_duplicate(update)
    second = await fake_bot.get_updates(offset=update["update_id"] + 1)
    assert [u.update_id for u in second] == [update["update_id"]]
    assert await fake_bot.get_updates(offset=update["update_id"] + 1) == ()


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    words = context.args or ["(kosong)"]
    await update.effective_message.reply_text(
        " ".join(words), reply_markup=keyboard("lagi"), do_quote=True
    )


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(f"Dipilih: {query.data}")


async def test_application_end_to_end_polling(fake_api: FakeBotApi) -> None:
    app = ApplicationBuilder().token(fake_api.token).base_url(fake_api.base_url).build()
    app.add_handler(CommandHandler("echo", _echo))
    app.add_handler(CallbackQueryHandler(_button))
    user = fake_api.user(USER_ID)
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    try:
        mark = fake_api.mark()
        user.send_text("/echo halo pemilu")
        reply = await fake_api.wait_for("sendMessage", chat_id=USER_ID, after=mark)
        assert reply.ok and reply.result["text"] == "halo pemilu"
        assert reply.result["reply_to_message"]["text"] == "/echo halo pemilu"
        mark = fake_api.mark()
        user.press(reply.result, "lagi")
        await fake_api.wait_for("answerCallbackQuery", after=mark)
        edit = await fake_api.wait_for("editMessageText", after=mark)
        assert edit.ok
        await fake_api.wait_idle(timeout=5)
        assert fake_api.updates_pending() == []
        assert fake_api.last_message(USER_ID) is not None
        assert fake_api.last_message(USER_ID)["text"] == "Dipilih: lagi"  # type: ignore[index]
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert not fake_api.state.queue.polling
