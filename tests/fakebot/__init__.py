"""Fake Telegram Bot API server for tests.

``FakeBotApi`` speaks HTTP on 127.0.0.1 like api.telegram.org, so the real
python-telegram-bot client (``telegram.Bot`` / ``telegram.ext.Application``) can
be pointed at it with ``base_url=api.base_url``.
"""

from .factories import FakeGroup, FakeUser
from .server import FailureSpec, FakeBotApi
from .state import ApiError, RequestRecord, SentFile, StoredFile

__all__ = [
    "ApiError",
    "FailureSpec",
    "FakeBotApi",
    "FakeGroup",
    "FakeUser",
    "RequestRecord",
    "SentFile",
    "StoredFile",
]
