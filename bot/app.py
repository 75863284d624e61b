"""The application factory: settings + services in, a wired PTB `Application` out."""

from __future__ import annotations

import logging

from telegram import LinkPreviewOptions, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults, TypeHandler

from bot import metrics
from bot.config import Settings
from bot.lenient import LenientExtBot
from bot.metrics import CountingRequest
from bot.processor import PerPersonProcessor
from handlers.context import BotData, DeskApplication, DeskContext, Services
from handlers.setup import register_all

log = logging.getLogger(__name__)


def file_base_url(api_base_url: str) -> str:
    """`https://api.telegram.org/bot` -> `https://api.telegram.org/file/bot`."""
    head, sep, tail = api_base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}" if sep else api_base_url + "/file"


def build_application(settings: Settings, services: Services) -> DeskApplication:
    """Build the bot without touching the network; `initialize()` does that."""
    context_types = ContextTypes(context=DeskContext, bot_data=BotData)
    bot = LenientExtBot(
        settings.token(),
        base_url=settings.telegram_api_base_url,
        base_file_url=file_base_url(settings.telegram_api_base_url),
        defaults=Defaults(
            parse_mode="HTML", link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
        request=CountingRequest(
            connection_pool_size=256,
            connect_timeout=10,
            read_timeout=15,
            write_timeout=15,
            pool_timeout=10,
            media_write_timeout=60,
        ),
        get_updates_request=CountingRequest(
            connection_pool_size=1,
            connect_timeout=10,
            read_timeout=40,
            write_timeout=15,
            pool_timeout=10,
        ),
    )
    builder = (
        ApplicationBuilder()
        .bot(bot)
        .context_types(context_types)
        .concurrent_updates(PerPersonProcessor())
    )
    if settings.webhook_mode:
        builder = builder.updater(None)
    app: DeskApplication = builder.build()  # type: ignore[assignment]
    app.bot_data.services = services
    # First of all groups, for every update: count it, then let the features have it.
    app.add_handler(TypeHandler(Update, _count_update), group=-1000)
    register_all(app)
    return app


async def _count_update(_update: Update, _context: DeskContext) -> None:
    """Count one update for /metrics."""
    metrics.count_update()


__all__ = ["Application", "build_application", "file_base_url"]
