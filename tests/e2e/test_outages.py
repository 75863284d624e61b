"""`deskbot run` started while the database or Telegram is unreachable waits and retries
instead of crashing (systemd would otherwise restart it in a tight loop)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot import runner
from bot.config import Settings
from bot.health import Role
from bot.serve import serve
from tests.e2e.processes import free_port
from tests.fakebot import FakeBotApi


async def _waits_then_stops(
    settings: Settings, caplog: pytest.LogCaptureFixture, what: str
) -> None:
    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="bot.serve"):
        task = asyncio.create_task(serve(settings, stop))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while f"{what} unreachable" not in caplog.text:
            assert not task.done(), task.result()
            assert loop.time() < deadline, caplog.text
            await asyncio.sleep(0.05)
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0


async def test_waits_for_an_unreachable_database(
    api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=api.token,
        telegram_api_base_url=api.base_url,
        database_url=f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/nothing",
    )
    await _waits_then_stops(settings, caplog, "database")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_waits_for_an_unreachable_telegram(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token="123456:NOWHERE",
        telegram_api_base_url=f"http://127.0.0.1:{free_port()}/bot",
        database_url=db_url,
    )
    await _waits_then_stops(settings, caplog, "Telegram")


async def _proxy(port: int, target: tuple[str, int]) -> asyncio.Server:
    """A TCP forwarder on `port` to `target`: the database "comes back" when it starts."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(*target)
        await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))

    return await asyncio.start_server(handle, "127.0.0.1", port)


async def _answers_after_coming_back(
    settings: Settings, caplog: pytest.LogCaptureFixture, what: str, come_back: Any
) -> None:
    stop = asyncio.Event()
    box: list[runner.Running] = []
    with caplog.at_level(logging.WARNING, logger="bot.serve"):
        task = asyncio.create_task(serve(settings, stop, on_running=box.append))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while f"{what} unreachable" not in caplog.text:
            assert not task.done(), task.result()
            assert loop.time() < deadline, caplog.text
            await asyncio.sleep(0.05)
        async with come_back() as api:
            while not (box and box[0].health.role is Role.ACTIVE):
                assert not task.done(), task.result()
                assert loop.time() < deadline + 30, "never became active"
                await asyncio.sleep(0.05)
            stranger = api.user(4242, first_name="Tamu")
            stranger.send_text("/start")
            (answer,) = await api.wait_for_all("sendMessage", chat_id=4242, timeout=30)
            assert "belum terdaftar" in answer.params["text"]
            stop.set()
            assert await asyncio.wait_for(task, 30) == 0


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_telegram_coming_back_is_answered(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token="123456:TEST-token",
        telegram_api_base_url=f"http://127.0.0.1:{port}/bot",
        database_url=db_url,
        poll_timeout=1,
    )

    @contextlib.asynccontextmanager
    async def telegram() -> AsyncIterator[FakeBotApi]:
        async with FakeBotApi(port=port) as api:
            yield api

    await _answers_after_coming_back(settings, caplog, "Telegram", telegram)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_the_database_coming_back_is_answered(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    real = make_url(db_url)
    port = free_port()
    async with FakeBotApi() as api:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            database_url=real.set(host="127.0.0.1", port=port).render_as_string(
                hide_password=False
            ),
            poll_timeout=1,
        )

        @contextlib.asynccontextmanager
        async def database() -> AsyncIterator[FakeBotApi]:
            proxy = await _proxy(port, (real.host or "127.0.0.1", real.port or 5432))
            try:
                yield api
            finally:
                proxy.close()

        await _answers_after_coming_back(settings, caplog, "database", database)
