"""Tests of the fake Bot API itself, driven by the real python-telegram-bot client."""

from __future__ import annotations

import datetime as dtm
import time

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
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


async def test_get_me(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    me = await fake_bot.get_me()
    assert me.is_bot and me.username == "desk_pemilu_test_bot"
    assert me.id == 123456
    assert fake_bot.username == "desk_pemilu_test_bot"  # set by initialize()
    assert fake_api.count("getMe") >= 1


async def test_send_message_returns_complete_message(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.user(USER_ID).send_text("halo")  # chat becomes known, takes message_id 1
    first = await fake_bot.send_message(
        USER_ID, "<b>Halo</b> Siti", parse_mode=ParseMode.HTML, reply_markup=keyboard("a", "b")
    )
    second = await fake_bot.send_message(USER_ID, "lagi")
    assert first.message_id == 2 and second.message_id == 3
    assert first.text == "Halo Siti"
    assert first.from_user is not None and first.from_user.id == fake_bot.id
    assert first.chat.id == USER_ID and first.chat.type == "private"
    assert first.entities[0].type == "bold" and first.entities[0].length == 4
    assert first.reply_markup == keyboard("a", "b")
    assert abs(first.date.timestamp() - time.time()) < 5
    assert [m["text"] for m in fake_api.messages_to(USER_ID)] == ["Halo Siti", "lagi"]
    record = await fake_api.wait_for("sendMessage", chat_id=USER_ID)
    assert record.params["parse_mode"] == "HTML"
    assert record.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"] == "b"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("skor 1 < 2", 'Unsupported start tag "" at byte offset 7'),
        ("<b>tebal", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("baris<br>baru", 'Unsupported start tag "br" at byte offset 5'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ('<span class="merah">x</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_html_rejections(
    fake_api: FakeBotApi, fake_bot: Bot, text: str, fragment: str
) -> None:
    fake_api.add_chat(USER_ID)
    with pytest.raises(BadRequest) as info:
        await fake_bot.send_message(USER_ID, text, parse_mode=ParseMode.HTML)
    assert "can't parse entities" in info.value.message.lower()
    answer = fake_api.requests[-1]
    assert answer.status == 400 and answer.response is not None
    assert answer.response["description"].startswith("Bad Request: can't parse entities: ")
    assert fragment in answer.response["description"]
    assert fake_api.messages_to(USER_ID) == []


async def test_html_entities_and_bare_ampersand(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_chat(USER_ID)
    msg = await fake_bot.send_message(
        USER_ID,
        'Tom & Jerry &lt;3 &#65;&#x42; &copy; <i>😀 <u>x</u></i> <a href="https://kpu.go.id">KPU</a>',
        parse_mode=ParseMode.HTML,
    )
    assert msg.text == "Tom & Jerry <3 AB &copy; 😀 x KPU"
    kinds = {(e.type, e.offset, e.length) for e in msg.entities}
    # "😀" is two UTF-16 code units: italic covers "😀 x" = 4 units at offset 25
    assert ("italic", 25, 4) in kinds and ("underline", 28, 1) in kinds
    link = next(e for e in msg.entities if e.type == "text_link")
    assert link.url == "https://kpu.go.id" and link.offset == 30


async def test_pre_code_and_blockquote(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_chat(USER_ID)
    msg = await fake_bot.send_message(
        USER_ID,
        '<pre><code class="language-python">x = 1</code></pre>\n'
        "<blockquote expandable>kutipan</blockquote> <tg-spoiler>r</tg-spoiler>",
        parse_mode=ParseMode.HTML,
    )
    types = [(e.type, e.language) for e in msg.entities]
    assert ("pre", "python") in types
    assert ("expandable_blockquote", None) in types and ("spoiler", None) in types


async def test_text_length_limits(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_chat(USER_ID)
    ok = await fake_bot.send_message(USER_ID, "&amp;" * 4096, parse_mode=ParseMode.HTML)
    assert ok.text is not None and len(ok.text) == 4096  # counted after entity decoding
    with pytest.raises(BadRequest, match="Message is too long"):
        await fake_bot.send_message(USER_ID, "a" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):
        await fake_bot.send_message(USER_ID, "😀" * 2049)  # 4098 UTF-16 code units
    with pytest.raises(BadRequest, match="Message text is empty"):
        await fake_bot.send_message(USER_ID, "   ")
    assert len(fake_api.messages_to(USER_ID)) == 1


async def test_button_data_invalid(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_chat(USER_ID)
    ok = await fake_bot.send_message(USER_ID, "pilih", reply_markup=keyboard("x" * 64))
    assert ok.reply_markup is not None
    with pytest.raises(BadRequest):
        await fake_bot.send_message(USER_ID, "pilih", reply_markup=keyboard("é" * 33))  # 66 bytes
    assert last_description(fake_api) == "Bad Request: BUTTON_DATA_INVALID"
    fake_api.reset_requests()
    with pytest.raises(BadRequest):
        await fake_bot.send_message(USER_ID, "pilih", reply_markup=keyboard(""))
    assert last_description(fake_api) == "Bad Request: BUTTON_DATA_INVALID"
    assert len(fake_api.messages_to(USER_ID)) == 1


async def test_edits(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_chat(USER_ID)
    sent = await fake_bot.send_message(
        USER_ID, "<b>Status</b>", parse_mode="HTML", reply_markup=keyboard("ok")
    )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await fake_bot.edit_message_text(
            "<b>Status</b>",
            USER_ID,
            sent.message_id,
            parse_mode="HTML",
            reply_markup=keyboard("ok"),
        )
    edited = await fake_bot.edit_message_text(
        "Status", USER_ID, sent.message_id, reply_markup=keyboard("ok")
    )
    assert isinstance(edited, type(sent)) and edited.edit_date is not None and not edited.entities
    await fake_bot.edit_message_reply_markup(
        USER_ID, sent.message_id, reply_markup=keyboard("baru")
    )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await fake_bot.edit_message_reply_markup(
            USER_ID, sent.message_id, reply_markup=keyboard("baru")
        )
    # editing the text without reply_markup removes the keyboard, like Telegram
    await fake_bot.edit_message_text("Status", USER_ID, sent.message_id)
    current = fake_api.last_message(USER_ID)
    assert current is not None and current["text"] == "Status" and "reply_markup" not in current
    first_record = next(r for r in fake_api.requests if r.method == "sendMessage")
    assert first_record.result["text"] == "Status"  # snapshot of the answer at the time
    assert first_record.result["entities"][0]["type"] == "bold"
    assert "edit_date" not in first_record.result
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await fake_bot.edit_message_text("x", USER_ID, 999)
    assert await fake_bot.delete_message(USER_ID, sent.message_id)
    assert fake_api.messages_to(USER_ID) == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await fake_bot.delete_message(USER_ID, sent.message_id)


async def test_blocked_user_and_unknown_chat(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await fake_bot.send_message(777, "halo")
    user = fake_api.user(USER_ID)
    user.send_text("halo")
    fake_api.block(USER_ID)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await fake_bot.send_message(USER_ID, "halo")
    assert fake_api.requests[-1].status == 403
    fake_api.unblock(USER_ID)
    assert (await fake_bot.send_message(USER_ID, "halo lagi")).text == "halo lagi"


async def test_private_chat_flood_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as timedelta
    async with (
        FakeBotApi(flood_limits=True, per_chat_rate=1.0, private_burst=3) as api,
        make_bot(api) as bot,
    ):
        api.add_chat(USER_ID)
        for i in range(3):  # burst of 3 allowed
            await bot.send_message(USER_ID, f"pesan {i}")
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(USER_ID, "kebanyakan")
        retry = info.value.retry_after
        assert isinstance(retry, dtm.timedelta)
        seconds = retry.total_seconds()
        assert 1 <= seconds <= 3
        assert api.rate_limited_count == 1
        last = api.requests[-1]
        assert last.status == 429 and last.response is not None
        assert last.response["parameters"]["retry_after"] == seconds
        assert last.response["description"] == f"Too Many Requests: retry after {int(seconds)}"
        # another chat is not affected by this chat's window
        api.add_chat(USER_ID + 1)
        await bot.send_message(USER_ID + 1, "ok")


async def test_group_and_bot_flood_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    async with (
        FakeBotApi(flood_limits=True, per_group_per_minute=2, per_bot_rate=4) as api,
        make_bot(api) as bot,
    ):
        api.add_chat(-100123)
        await bot.send_message(-100123, "1")
        await bot.send_message(-100123, "2")
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(-100123, "3")
        retry = info.value.retry_after
        assert isinstance(retry, dtm.timedelta) and retry.total_seconds() > 50
        for chat in range(1, 3):
            api.add_chat(chat)
            await bot.send_message(chat, "x")
        api.add_chat(3)
        with pytest.raises(RetryAfter):  # 4 per second overall: 2 + 2 already sent
            await bot.send_message(3, "x")
        assert api.rate_limited_count == 2


async def test_command_scopes(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_chat(-100999, title="Relawan")
    await fake_bot.set_my_commands([BotCommand("start", "Mulai")])
    await fake_bot.set_my_commands(
        [BotCommand("lapor", "Laporkan")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="id",
    )
    await fake_bot.set_my_commands(
        [BotCommand("rekap", "Rekap")], scope=BotCommandScopeChat(-100999)
    )
    assert [c.command for c in await fake_bot.get_my_commands()] == ["start"]
    assert await fake_bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == ()
    private_id = await fake_bot.get_my_commands(
        scope=BotCommandScopeAllPrivateChats(), language_code="id"
    )
    assert [c.command for c in private_id] == ["lapor"]
    assert fake_api.commands("all_private_chats", language_code="id") == [
        {"command": "lapor", "description": "Laporkan"}
    ]
    assert fake_api.commands("chat", chat_id=-100999)[0]["command"] == "rekap"
    await fake_bot.delete_my_commands(scope=BotCommandScopeChat(-100999))
    assert fake_api.commands("chat", chat_id=-100999) == []
    with pytest.raises(BadRequest):
        await fake_bot.set_my_commands([BotCommand("Bad-Command", "x")])
    assert last_description(fake_api) == "Bad Request: BOT_COMMAND_INVALID"


async def test_unknown_method_and_bad_token(fake_api: FakeBotApi) -> None:
    bot = make_bot(fake_api)  # not initialized: PTB maps 404 to InvalidToken
    try:
        with pytest.raises(InvalidToken):
            await bot.do_api_request("frobnicate")
    finally:
        await bot.request.shutdown()  # Bot.shutdown() is a no-op when not initialized
    async with make_bot(fake_api) as ready:
        with pytest.raises(EndPointNotFound):
            await ready.do_api_request("frobnicate")
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{fake_api.base_url}{fake_api.token}/frobnicate")
        assert response.status_code == 404
        assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        wrong = await client.post(f"{fake_api.base_url}999:WRONG/getMe")
        assert wrong.status_code == 401 and wrong.json()["description"] == "Unauthorized"
    wrong_bot = Bot("999:WRONG", base_url=fake_api.base_url)
    try:
        with pytest.raises(InvalidToken):
            await wrong_bot.get_me()
    finally:
        await wrong_bot.request.shutdown()


async def test_raw_json_and_form_bodies(fake_api: FakeBotApi) -> None:
    fake_api.add_chat(USER_ID)
    url = f"{fake_api.base_url}{fake_api.token}/sendMessage"
    markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
    async with httpx.AsyncClient() as client:
        as_json = await client.post(url, json={"chat_id": USER_ID, "text": "json"})
        as_form = await client.post(
            url, data={"chat_id": str(USER_ID), "text": "123", "reply_markup": markup}
        )
    assert as_json.json()["result"]["text"] == "json"
    form_result = as_form.json()["result"]
    assert form_result["text"] == "123"  # text stays a string
    assert form_result["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    assert fake_api.requests[-1].params["chat_id"] == USER_ID


async def test_send_document_and_photo_uploads(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_chat(USER_ID)
    payload = b"tps,suara\n001,120\n"
    msg = await fake_bot.send_document(
        USER_ID, InputFile(payload, filename="rekap.csv"), caption="<b>Rekap</b>", parse_mode="HTML"
    )
    assert msg.document is not None and msg.document.file_name == "rekap.csv"
    assert msg.document.file_size == len(payload) and msg.caption == "Rekap"
    sent = fake_api.sent_files[-1]
    assert (sent.file.data, sent.file.filename, sent.file.size, sent.given) == (
        payload,
        "rekap.csv",
        len(payload),
        None,
    )
    record = await fake_api.wait_for("sendDocument")
    assert record.files["document"].data == payload
    downloaded = await (await fake_bot.get_file(msg.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == payload
    again = await fake_bot.send_document(USER_ID, msg.document.file_id)
    assert again.document is not None and again.document.file_id == msg.document.file_id
    assert fake_api.sent_files[-1].given == msg.document.file_id
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await fake_bot.send_document(USER_ID, "bukan-file-id")
    photo = await fake_bot.send_photo(USER_ID, InputFile(b"\xff\xd8jpeg", filename="foto.jpg"))
    assert photo.photo and photo.photo[-1].file_size == 6
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await fake_bot.send_photo(USER_ID, photo.photo[-1].file_id, caption="x" * 1025)


async def test_location_action_chat_and_leave(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    group = fake_api.group(-100555, "Saksi TPS")
    group.send_text(fake_api.user(USER_ID), "halo")
    loc = await fake_bot.send_location(-100555, latitude=-6.2, longitude=106.8)
    assert loc.location is not None and loc.location.latitude == pytest.approx(-6.2)
    assert await fake_bot.send_chat_action(-100555, "typing")
    assert fake_api.chat_actions == [(-100555, "typing")]
    chat = await fake_bot.get_chat(-100555)
    assert chat.title == "Saksi TPS" and chat.type == "supergroup"
    assert await fake_bot.leave_chat(-100555)
    with pytest.raises(Forbidden, match="not a member"):
        await fake_bot.send_message(-100555, "masih di sini?")
    assert await fake_bot.set_chat_menu_button()
    assert await fake_bot.close() is True


async def test_failure_injection(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.add_chat(USER_ID)
    fake_api.fail_next("sendMessage", status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await fake_bot.send_message(USER_ID, "a")
    fake_api.fail_next("sendMessage", status="network")
    with pytest.raises(NetworkError):
        await fake_bot.send_message(USER_ID, "b")
    assert fake_api.messages_to(USER_ID) == []  # nothing was executed
    fake_api.fail_next("sendMessage", status="network", execute=True)
    with pytest.raises(NetworkError):
        await fake_bot.send_message(USER_ID, "c")
    assert [m["text"] for m in fake_api.messages_to(USER_ID)] == ["c"]  # sent, answer lost
    assert (await fake_bot.send_message(USER_ID, "d")).text == "d"
    assert [r.status for r in fake_api.requests if r.method == "sendMessage"] == [502, 0, 0, 200]


async def test_latency(fake_api: FakeBotApi, fake_bot: Bot) -> None:
    fake_api.set_latency(0.3)
    started = time.monotonic()
    await fake_bot.get_me()
    assert time.monotonic() - started >= 0.3
