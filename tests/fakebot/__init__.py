"""Fake Telegram Bot API server for tests.

``FakeBotApi`` speaks HTTP on 127.0.0.1 like api.telegram.org, so the real
python-telegram-bot client (``telegram.Bot`` / ``telegram.ext.Application``) can be
pointed at it with ``base_url=api.base_url`` (and ``base_file_url=api.base_file_url``
for downloads)::

    async with FakeBotApi() as api:
        user = api.user(1001, first_name="Siti")
        mark = api.mark()
        user.send_text("/start")
        reply = await api.wait_for("sendMessage", chat_id=1001, after=mark)

Modules: ``server`` (HTTP), ``faults`` (failure injection, outages, the wait after
a 429), ``actors`` (acting as users), ``factories`` (users), ``groups`` (groups,
anonymous admins, channels, topics, upgrades), ``business`` (Telegram Business),
``content`` (message shapes: albums, stickers, polls...), ``helpers`` (inspection,
flood measurements, webhook delivery), ``methods_send``/``methods_misc``/``topics``
(Bot API methods), ``html_check`` (HTML parse mode and length rules), ``polling``
(getUpdates), ``ratelimit`` (flood control, the chosen model is described there),
``state``, ``transport``, ``fixtures``.

Deliberate simplifications: Markdown/MarkdownV2 are not parsed (text is taken
as is); inline-mode messages, sendMediaGroup and most methods not listed in
``server.METHODS`` answer 404 (and log a warning). Webhook URLs must be HTTPS as at
Telegram unless ``FakeBotApi(allow_http_webhooks=True)`` (loopback tests).
Helpers that queue updates must run on the event loop thread of the server.

Paid broadcasts: a send with ``allow_paid_broadcast`` counts toward a paid window of 1000 a
second instead of the per-bot cap and draws 0.1 Star from the bot's balance
(``FakeBotApi(stars=...)``, ``state.star_tenths``); with too few Stars it is refused with
``400 Bad Request: BALANCE_TOO_LOW``.
"""

from .business import FakeBusinessConnection
from .factories import FakeUser
from .faults import FailureSpec
from .groups import GROUP_ANONYMOUS_BOT, AnonymousAdmin, FakeChannel, FakeGroup
from .server import TELEGRAM_DEFAULT_LIMITS, TELEGRAM_STRICT_LIMITS, FakeBotApi
from .state import ApiError, RequestRecord, SentFile, StoredFile

__all__ = [
    "GROUP_ANONYMOUS_BOT",
    "TELEGRAM_DEFAULT_LIMITS",
    "TELEGRAM_STRICT_LIMITS",
    "AnonymousAdmin",
    "ApiError",
    "FailureSpec",
    "FakeBotApi",
    "FakeBusinessConnection",
    "FakeChannel",
    "FakeGroup",
    "FakeUser",
    "RequestRecord",
    "SentFile",
    "StoredFile",
]
