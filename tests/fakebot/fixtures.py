"""Pytest fixtures for the fake Bot API (import into a conftest.py to use them)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from telegram import Bot

from .server import FakeBotApi


@pytest_asyncio.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    # The fake's own tests check one behaviour at a time; its flood windows have their own tests.
    async with FakeBotApi(flood_limits=False) as api:
        yield api


def make_bot(api: FakeBotApi) -> Bot:
    """A real python-telegram-bot client talking to the fake server."""
    return Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url)


@pytest_asyncio.fixture
async def fake_bot(fake_api: FakeBotApi) -> AsyncIterator[Bot]:
    async with make_bot(fake_api) as bot:
        yield bot
