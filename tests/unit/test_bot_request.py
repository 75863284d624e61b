"""The Bot API's HTTP client (`bot.request.AiohttpRequest`) over real HTTP on loopback: what it
sends, what it answers, and how its failures are judged (`outbox.judge`): a request that never
left is sent again, one that may have arrived never is."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.request import AiohttpRequest
from outbox.judge import Fate, judge

TOKEN_PATH = "/bot123456:SECRET-token_x/"


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback server that records each request and answers like the Bot API; the path
    `slow` answers after 1 s."""
    seen: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        if request.path.endswith("/stall"):
            await asyncio.sleep(2)  # not reading the upload: the sender's writes stall
        if request.content_type.startswith("multipart/"):
            fields: dict[str, Any] = {}
            async for part in await request.multipart():
                body = await part.read()  # type: ignore[union-attr]
                fields[part.name or ""] = (part.filename, body)  # type: ignore[union-attr]
        else:
            fields = dict(await request.post())
        seen.append(
            {
                "method": request.method,
                "type": request.content_type,
                "fields": fields,
                "proxy_authorization": request.headers.get("Proxy-Authorization"),
            }
        )
        if request.path.endswith("/slow"):
            await asyncio.sleep(1)
        return web.json_response({"ok": True, "result": {"message_id": 7}})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}{TOKEN_PATH}", seen
    await runner.cleanup()


@asynccontextmanager
async def opened(**options: Any) -> AsyncIterator[AiohttpRequest]:
    """An initialized client, shut down after."""
    request = AiohttpRequest(**options)
    await request.initialize()
    try:
        yield request
    finally:
        await request.shutdown()


def _data(**fields: Any) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in fields.items()])


async def test_fields_go_urlencoded_and_files_as_multipart(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    base, seen = server
    async with opened(connection_pool_size=4) as request:
        answer = await request.post(base + "sendMessage", _data(chat_id=42, text="Siap ✅"))
        assert answer == {"message_id": 7}
        document = InputFile(b"PK\x03\x04xlsx", filename="rekap.xlsx")
        await request.post(base + "sendDocument", _data(chat_id=42, document=document))
    assert seen[0]["type"] == "application/x-www-form-urlencoded"
    assert seen[0]["fields"] == {"chat_id": "42", "text": "Siap ✅"}
    assert seen[1]["type"] == "multipart/form-data"
    assert seen[1]["fields"] == {
        "chat_id": (None, b"42"),
        "document": ("rekap.xlsx", b"PK\x03\x04xlsx"),  # the file itself, with its name
    }


async def test_no_answer_in_time_may_have_arrived_so_it_is_never_sent_again(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    base, seen = server
    async with opened(read_timeout=0.3) as request:
        with pytest.raises(TimedOut) as caught:
            await request.post(base + "slow", _data(chat_id=1, text="x"))
    assert len(seen) == 1  # it did arrive
    assert judge(caught.value, 1).fate is Fate.UNCERTAIN
    assert "SECRET" not in str(caught.value)


async def test_a_stalled_upload_ends_in_its_write_time_and_is_not_sent_again(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    """aiohttp has no write timeout of its own: the whole call is held to its times."""
    base, _ = server
    big = InputFile(b"x" * (48 * 2**20), filename="rekap.xlsx")  # beyond the socket buffers
    async with opened(
        connect_timeout=0.2, pool_timeout=0.1, read_timeout=0.2, media_write_timeout=0.3
    ) as request:
        with pytest.raises(TimedOut) as caught:  # before the server reads it (after 2 s)
            await request.post(base + "stall", _data(chat_id=1, document=big))
    assert judge(caught.value, 1).fate is Fate.UNCERTAIN


async def test_no_connection_never_left_so_it_is_sent_again() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with opened(connect_timeout=1) as request:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{port}{TOKEN_PATH}sendMessage", _data(a=1))
    assert not isinstance(caught.value, TimedOut)
    assert judge(caught.value, 1).fate is Fate.RETRY
    assert "SECRET" not in str(caught.value)


async def test_no_free_connection_in_time_never_left_so_it_is_sent_again(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    base, seen = server
    async with opened(
        connection_pool_size=1, pool_timeout=0.1, connect_timeout=0.1, read_timeout=5
    ) as request:
        slow = asyncio.create_task(request.post(base + "slow", _data(chat_id=1)))
        await asyncio.sleep(0.2)  # it holds the one connection
        with pytest.raises(TimedOut) as caught:
            await request.post(base + "sendMessage", _data(chat_id=2))
        await slow
    assert [s["fields"]["chat_id"] for s in seen] == ["1"]  # the second never arrived
    assert judge(caught.value, 1).fate is Fate.RETRY


async def test_the_environments_proxy_is_used_as_with_ptbs_own_client(
    server: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A desk behind a proxy sets HTTPS_PROXY/HTTP_PROXY; the request goes through it (here the
    loopback server stands in for the proxy: the Bot API host itself does not resolve)."""
    base, seen = server
    proxy = base.split("/bot", 1)[0]
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    async with opened() as request:
        answer = await request.post(
            f"http://api.telegram.invalid{TOKEN_PATH}sendMessage", _data(chat_id=5)
        )
    assert answer == {"message_id": 7}
    assert seen[-1]["fields"] == {"chat_id": "5"}


async def test_a_request_before_initialize_is_refused() -> None:
    with pytest.raises(RuntimeError):
        await AiohttpRequest().do_request("http://127.0.0.1:9/x", "POST")


async def test_no_proxy_hosts_are_reached_directly(
    server: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_PROXY names hosts the proxy is not used for (a Bot API server on the desk's own
    network): with a proxy that answers nothing, the request still arrives."""
    base, seen = server
    for name in ("no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # discard: nothing listens
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    async with opened() as request:
        answer = await request.post(f"{base}sendMessage", _data(chat_id=6))
    assert answer == {"message_id": 7}
    assert seen[-1]["fields"] == {"chat_id": "6"}


def _only_proxy(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name in ("NO_PROXY", "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


async def test_a_proxys_password_never_reaches_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Errors become outbox rows and log lines: a proxy's user:password is sent as Basic auth,
    never as part of a URL an error could print."""
    _only_proxy(monkeypatch, HTTP_PROXY="http://desk:pa55word@127.0.0.1:9")  # nothing listens
    async with opened() as request:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://api.telegram.invalid{TOKEN_PATH}getMe", _data())
    told = f"{caught.value} {caught.value.__cause__!r} {caught.value.__cause__}"
    assert "pa55word" not in told and "desk:" not in told
    assert "127.0.0.1:9" in told  # the error still says which proxy failed


async def test_the_proxys_credentials_go_as_basic_auth(
    server: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, seen = server
    proxy = base.split("/bot", 1)[0].replace("http://", "http://desk:pa55word@")
    _only_proxy(monkeypatch, HTTP_PROXY=proxy)
    async with opened() as request:
        answer = await request.post(
            f"http://api.telegram.invalid{TOKEN_PATH}sendMessage", _data(chat_id=8)
        )
    assert answer == {"message_id": 7}
    expected = "Basic " + base64.b64encode(b"desk:pa55word").decode()
    assert seen[-1]["proxy_authorization"] == expected


async def test_a_socks_proxy_the_bot_cannot_speak_is_skipped_with_a_warning(
    server: tuple[str, list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """aiohttp speaks only HTTP to a proxy: sending Bot API requests to a SOCKS one would lose
    them (its answer reads as a reply that may have arrived). The bot connects directly and
    says why, without the setting's value."""
    base, seen = server
    _only_proxy(monkeypatch, ALL_PROXY="socks5://desk:pa55word@127.0.0.1:9")
    with caplog.at_level(logging.WARNING, logger="bot.request"):
        async with opened() as request:
            answer = await request.post(f"{base}sendMessage", _data(chat_id=9))
    assert answer == {"message_id": 7}
    assert seen[-1]["fields"] == {"chat_id": "9"}
    assert any("all_proxy names a socks5 proxy" in r.getMessage() for r in caplog.records)
    assert "pa55word" not in caplog.text
