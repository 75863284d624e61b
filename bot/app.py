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
from domain.bots import bot_id_of
from handlers.fallback import apologise
from handlers.group_notices import tell_admins_group_gone
from handlers.setup import register_all
from outbox.backlog import Backlog
from outbox.inbox import Inbox
from outbox.limiter import Limiter
from outbox.post import Post
from outbox.sender import Sender
from services import BotData, DeskApplication, DeskContext, Services
from storage import desk_groups, people
from storage.db import is_sqlite

log = logging.getLogger(__name__)
# Updates taken from Telegram and not yet handled, at most (`outbox.backlog`).
BACKLOG_PER_SLOT = 8
BACKLOG_MIN = 256


def file_base_url(api_base_url: str) -> str:
    """`https://api.telegram.org/bot` -> `https://api.telegram.org/file/bot`."""
    head, sep, tail = api_base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}" if sep else api_base_url + "/file"


def build_application(
    settings: Settings, services: Services, *, token: str | None = None
) -> DeskApplication:
    """Build one of the desk's bots without touching the network; `initialize()` does that.

    `token`: the bot's (default: `TELEGRAM_BOT_TOKEN`, the desk's first bot). Every bot of a
    desk is built with the same services and handlers; each has its own sender, limiter and
    inbox, registered in `services.post`."""
    token = token or settings.token()
    context_types = ContextTypes(context=DeskContext, bot_data=BotData)
    bot = LenientExtBot(
        token,
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
    processor = PerPersonProcessor(update_concurrency(settings))
    builder = (
        ApplicationBuilder().bot(bot).context_types(context_types).concurrent_updates(processor)
    )
    if settings.webhook_mode and token == settings.token():
        builder = builder.updater(None)  # the first bot takes the webhook; the others poll
    app: DeskApplication = builder.build()  # type: ignore[assignment]
    app.bot_data.services = services
    attach_outbox(app, bot, processor, settings, services, bot_id=bot_id_of(token))
    # First of all groups, for every update: count it, then let the features have it.
    app.add_handler(TypeHandler(Update, _count_update), group=-1000)
    register_all(app)
    return app


def update_concurrency(settings: Settings) -> int:
    """How many people's updates are handled at once: no more than the database can serve
    (PostgreSQL: the pool less the sender's and inbox's own connections; a handler waiting
    longer than the pool timeout fails). SQLite writes one at a time whatever this is."""
    if is_sqlite(settings.database_url):
        return 64
    return max(4, settings.db_pool_size + settings.db_max_overflow - 4)


def group_gone(reason: str) -> bool:
    """Whether Telegram's refusal says the bot is out of the group for good (removed, or the
    group deleted), not merely without the right to send for now."""
    return "rights" not in reason.lower()


def attach_outbox(
    app: DeskApplication,
    bot: LenientExtBot,
    processor: PerPersonProcessor,
    settings: Settings,
    services: Services,
    *,
    bot_id: int,
) -> None:
    """The inbox in front of the handlers and the sender behind them, sharing the services;
    the sender joins the desk's post (created with the first bot)."""

    async def unreachable(chat_id: int, reason: str) -> None:
        gone = False
        async with services.transaction() as session:
            if chat_id > 0:
                await people.set_reachable(session, chat_id, False, services.clock())
            elif group_gone(reason) and await desk_groups.unregister_group(session, chat_id):
                gone = True
                # Removed or deleted while no update said so: stop sending there (audited).
                await people.audit(
                    session,
                    actor_id=None,
                    actor_label="telegram",
                    action="group_unreachable",
                    detail={"chat_id": chat_id, "reason": reason},
                    now=services.clock(),
                )
                log.warning("desk group %s is unreachable (%s): no longer sent to", chat_id, reason)
        if gone:
            await tell_admins_group_gone(services, chat_id, why=reason)

    async def moved(old_chat_id: int, new_chat_id: int) -> None:
        async with services.transaction() as session:
            if await desk_groups.move_desk_group(
                session, old_chat_id, new_chat_id, now=services.clock()
            ):
                log.warning("desk group %s moved to supergroup %s", old_chat_id, new_chat_id)

    def resubmit(raw: dict[str, object]) -> None:
        update = Update.de_json(dict(raw), bot)
        if update is not None:
            if app.bot_data.backlog is not None:
                app.bot_data.backlog.took(1)  # in hand again until its handling ends
            app.update_queue.put_nowait(update)

    sender = Sender(
        bot,
        services.sessions,
        clock=services.clock,
        limiter=Limiter(rate=settings.send_rate, pace_replies=settings.pace_replies),
        on_unreachable=unreachable,
        on_moved=moved,
        bot_id=bot_id,
    )
    inbox = Inbox(services.sessions, bot_id=bot_id, clock=services.clock, resubmit=resubmit)
    if services.post is None:
        services.post = Post(services.sessions, clock=services.clock, desk=services.desk)
    services.post.add(sender)
    if services.sender is None:  # the desk's first bot
        services.sender, services.inbox = sender, inbox
    app.bot_data.bot_id, app.bot_data.sender, app.bot_data.inbox = bot_id, sender, inbox
    # Updates in hand at most: the processor's concurrency many times over keeps it busy.
    backlog = Backlog(max(BACKLOG_MIN, BACKLOG_PER_SLOT * processor.max_concurrent_updates))
    app.bot_data.backlog = backlog
    bot.use_inbox(inbox, backlog)
    processor.inbox, processor.sender, processor.backlog = inbox, sender, backlog
    processor.on_set_aside = apologise


async def _count_update(_update: Update, _context: DeskContext) -> None:
    """Count one update for /metrics."""
    metrics.count_update()


__all__ = ["Application", "build_application", "file_base_url"]
