"""Run the bot: migrate, build, become active, receive updates, stop cleanly.

`deskbot run` goes through `bot.serve.serve`, which uses these phases; the end-to-end tests go
through `start`/`stop` (or `serve`), so tests exercise the real path. The phases:

1. `prepare`: migrations, the application built and initialised (`getMe`). A standby stays
   here: it receives nothing and runs no background work.
2. `activate`, once this instance holds the lock (`bot.leader`): commands published, polling
   started or the webhook registered, the application started, background work started.
3. `halt` then `stop`: stop receiving and background work first, then let the updates in hand
   finish, then close everything; only after that is the lock released.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import BaseRoute
from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError

from bot import logs, metrics
from bot.app import build_application
from bot.config import ConfigError, Settings
from bot.health import Health, Role
from bot.sms_wiring import install_sms, routes_for, start_sms, stop_sms
from bot.webhook import HttpServer, WebhookRoute, build_http_app
from domain.bots import BotInfo, bot_id_of
from domain.broadcast import Pace
from handlers.checkins import album, on_message
from handlers.commands import publish_default_commands
from reminders.alerts import alert_filed
from reminders.setup import start_background, start_bot_work, stop_background, stop_bot_work
from services import Clock, DeskApplication, Services, services_of, utc_now
from storage import bots as bot_rows
from storage.db import (
    create_engine,
    create_read_engine,
    create_sessionmaker,
    dispose_read_engine,
    read_sessionmaker,
)
from storage.migrate import upgrade
from web.app import WebDeps, routes

log = logging.getLogger(__name__)

# Setting up polling (deleteWebhook) may meet a 429 left from before a restart: try again.
BOOTSTRAP_RETRIES = 10


@dataclass
class Running:
    """A started bot, for callers (and tests) that need to look inside."""

    app: DeskApplication
    engine: AsyncEngine
    reader: AsyncEngine  # reads that never wait for the writer (`storage.db.create_read_engine`)
    services: Services
    settings: Settings
    health: Health
    halted: bool = False
    # Every bot of the desk this process runs, the first bot's (`app`) first.
    apps: list[DeskApplication] = field(default_factory=list)
    held: set[int] = field(default_factory=set)  # the bots this process holds (is active for)
    desk_held: bool = False  # it runs the desk-wide work (the schedule, SMS)


async def prepare(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    engine: AsyncEngine | None = None,
    on_built: Callable[[DeskApplication], None] | None = None,
    migrate: bool = True,
) -> Running:
    """Apply migrations (unless `migrate` is False: already done) and build and initialise
    the application, without receiving anything."""
    token = settings.token()  # fail before touching anything else
    del token
    settings.check_webhook()
    own_engine = engine is None
    engine = engine or create_engine(settings.database_url, **settings.engine_options())
    reader = create_read_engine(engine)
    started: list[DeskApplication] = []
    try:
        if migrate:
            await upgrade(engine)
        sessions = create_sessionmaker(engine)
        services = Services(
            sessions=sessions,
            reads=read_sessionmaker(sessions, reader),
            clock=clock,
            invite_ttl_days=settings.invite_ttl_days,
            election=settings.election,
            download_dir=settings.download_dir,
            broadcast_pace=Pace(
                rate=min(settings.broadcast_rate, settings.send_rate),
                progress_every=settings.broadcast_progress_seconds,
            ),
            paid_broadcasts=settings.paid_broadcasts,
            desk_config_file=settings.desk_config_file,
            schedule_tick_seconds=settings.schedule_tick_seconds,
            web_base_url=settings.web_base_url,
        )
        services.checkin_listeners.append(alert_filed)
        app = build_application(settings, services)
        install_sms(settings, services, app)
        if on_built is not None:
            on_built(app)
        apps = [app] + [
            build_application(settings, services, token=token)
            for token in await more_tokens(settings, services)
        ]
        await app.initialize()
        started.append(app)
        for each in apps[1:]:
            try:
                await each.initialize()
            except InvalidToken:
                raise ConfigError(refused_bot(each.bot.token)) from None
            started.append(each)
        await load_desk(services, apps)
    except BaseException:
        for each in started:  # their HTTP sessions closed, not left to the garbage collector
            with contextlib.suppress(Exception):
                await each.shutdown()
        await dispose_read_engine(reader, engine)
        if own_engine:
            await engine.dispose()
        raise
    services.bot_username = app.bot.username
    health = Health(engine, app.bot, webhook_url=settings.webhook_url)
    return Running(
        app=app,
        engine=engine,
        reader=reader,
        services=services,
        settings=settings,
        health=health,
        apps=apps,
    )


def refused_bot(token: str) -> str:
    """What to do when Telegram refuses one of the desk's extra bots (never its token)."""
    bot_id = bot_id_of(token)
    if not bot_id:
        return (
            "an entry of TELEGRAM_EXTRA_BOT_TOKENS is not a bot token (it looks like "
            "123456789:AA...): copy it again from @BotFather"
        )
    return (
        f"Telegram refused the token of the desk's bot {bot_id}: copy it again from @BotFather "
        f"into TELEGRAM_EXTRA_BOT_TOKENS, or (a bot added with 'deskbot bots add') add it again "
        f"with its new token, or remove it: deskbot bots remove {bot_id}"
    )


async def more_tokens(settings: Settings, services: Services) -> list[str]:
    """The tokens of the desk's bots after the first: TELEGRAM_EXTRA_BOT_TOKENS, then those
    added with `deskbot bots add`; each bot once (by its id), never the first bot again."""
    async with services.reading() as session:
        stored = await bot_rows.stored_tokens(session)
    logs.redact_more(stored)
    seen = {bot_id_of(settings.token())}
    tokens = []
    for token in [*settings.extra_tokens(), *stored]:
        if bot_id_of(token) not in seen:
            seen.add(bot_id_of(token))
            tokens.append(token)
    return tokens


async def load_desk(services: Services, apps: list[DeskApplication]) -> None:
    """Record the desk's bots (their usernames as Telegram gave them) and work out which serves
    each regency (`domain.bots`), into `services.desk`, which every sender routes by."""
    async with services.transaction() as session:
        for each in apps:
            await bot_rows.register(
                session,
                bot_id=each.bot.id,
                username=each.bot.username,
                token=None,
                now=services.clock(),
            )
        found = await bot_rows.directory(
            session, [BotInfo(each.bot.id, each.bot.username) for each in apps]
        )
    services.desk.bots, services.desk.regencies = found.bots, found.regencies
    assert services.post is not None
    services.post.assign()
    if found.several:
        log.info("desk bots: %s", ", ".join(f"@{b.username}" for b in found.bots))


async def activate(
    running: Running, *, poll_interval: float = 0.0, poll_timeout: int | None = None
) -> None:
    """Start receiving updates and background work for every bot and the desk: this instance
    is now the active one (one instance, or the holder of everything)."""
    for each in running.apps or [running.app]:
        await activate_bot(
            running, each, poll_interval=poll_interval, poll_timeout=poll_timeout, alone=False
        )
    await activate_desk(running)
    for each in running.apps or [running.app]:
        await _announce(running, each)


async def activate_bot(
    running: Running,
    app: DeskApplication,
    *,
    poll_interval: float = 0.0,
    poll_timeout: int | None = None,
    alone: bool = True,
) -> None:
    """This instance now holds one of the desk's bots: it receives that bot's updates, sends
    what is owed through it, and delivers its broadcasts. `alone` False: the desk's work
    follows (`activate`), and the instance says it is active only once that runs too (the SMS
    webhook answers from then on)."""
    settings, services = running.settings, running.services
    await receive(app, settings, poll_interval=poll_interval, poll_timeout=poll_timeout)
    # The door out once receiving works: the calls owed from before start going out (a burst
    # of them must not flood Telegram before polling is set up).
    await services.out.start_bot(app.bot_data.bot_id)
    await album.resume(app, on_message)  # albums stored before a stop are finished
    await start_bot_work(app)
    running.held.add(app.bot_data.bot_id)
    if alone:
        await _announce(running, app)


async def _announce(running: Running, app: DeskApplication) -> None:
    """Active once the bot runs: Telegram's webhook (the first bot's) is taken now."""
    settings = running.settings
    running.health.role = Role.ACTIVE
    webhook = app.updater is None and settings.webhook_url is not None
    if webhook and settings.webhook_secret is not None:
        await app.bot.set_webhook(
            url=str(settings.webhook_url),
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
    metrics.set_leader(True)
    log.info("bot @%s started (%s)", app.bot.username, "webhook" if webhook else "long polling")


async def activate_desk(running: Running) -> None:
    """This instance now runs the desk-wide work, once for the desk whatever bots it holds:
    the schedule (reminders, escalations, digests) and the SMS service."""
    app = running.app
    if app.job_queue is not None and not app.job_queue.scheduler.running:
        await app.job_queue.start()  # the first bot is held elsewhere: its queue runs here
    await start_background(app)
    await start_sms(running.services)
    running.desk_held = True
    running.health.role = Role.ACTIVE
    metrics.set_leader(True)


async def receive(
    app: DeskApplication,
    settings: Settings,
    *,
    poll_interval: float = 0.0,
    poll_timeout: int | None = None,
) -> None:
    """Start one bot receiving: its commands published, the updates its inbox took but did not
    handle queued first, then long polling (unless it is the first bot in webhook mode) and the
    application started."""
    services = services_of(app)
    await publish_default_commands(app.bot, services)
    inbox = app.bot_data.inbox
    assert inbox is not None
    inbox.start()
    replayed = await inbox.pending()
    for raw in replayed:
        update = Update.de_json(raw, app.bot)
        if update is not None:
            if app.bot_data.backlog is not None:
                app.bot_data.backlog.took(1)
            app.update_queue.put_nowait(update)
    if replayed:
        log.warning(
            "@%s: handling %d update(s) taken before the last stop", app.bot.username, len(replayed)
        )
    if app.updater is not None:
        await app.updater.start_polling(
            poll_interval=poll_interval,
            timeout=settings.poll_timeout if poll_timeout is None else poll_timeout,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
            bootstrap_retries=BOOTSTRAP_RETRIES,
            error_callback=polling_problem,
        )
    await app.start()


def polling_problem(error: TelegramError) -> None:
    """One log line for a failed getUpdates (PTB logs a whole traceback for each, about 100
    lines for a three-second network blip); the updater tries again by itself."""
    if isinstance(error, Conflict):
        log.error(
            "another program is receiving this bot's updates (Conflict): only one deskbot may "
            "run per token; stop the other one or give it its own bot"
        )
    elif isinstance(error, NetworkError):
        log.warning("Telegram unreachable while receiving (%s); retrying", type(error).__name__)
    else:
        log.warning("receiving updates failed (%s: %s); retrying", type(error).__name__, error)


async def start(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    engine: AsyncEngine | None = None,
    poll_interval: float = 0.0,
    poll_timeout: int | None = None,
    on_built: Callable[[DeskApplication], None] | None = None,
) -> Running:
    """Prepare and activate at once (a single instance: tests, or SQLite)."""
    running = await prepare(settings, clock=clock, engine=engine, on_built=on_built)
    await activate(running, poll_interval=poll_interval, poll_timeout=poll_timeout)
    return running


async def halt(running: Running) -> None:
    """Stop taking on work at once: no new updates, no new jobs, background work stopped."""
    app = running.app
    running.health.role = Role.STOPPING
    if running.halted:
        return
    running.halted = True
    metrics.set_leader(False)
    if app.job_queue is not None and app.job_queue.scheduler.running:
        app.job_queue.scheduler.pause()
    # Background work first: stopping the updater can wait out a whole long poll.
    await stop_sms(running.services)
    held = [each for each in running.apps or [app] if each.bot_data.bot_id in running.held]
    for each in held:
        await album.stop(each)
    if running.desk_held:
        await stop_background(app)
    for each in held:
        await stop_bot_work(each)
    for each in held:
        if each.bot_data.backlog is not None:
            each.bot_data.backlog.open_up()  # the updater's last call must not wait for room
        if each.updater is not None and each.updater.running:
            await each.updater.stop()
    if not app.running and app.job_queue is not None and app.job_queue.scheduler.running:
        await app.job_queue.stop()  # started for the schedule alone (`activate_desk`)


async def stop(running: Running, *, dispose_engine: bool = True) -> None:
    """Stop fetching, finish the updates in hand, then close everything."""
    await halt(running)
    apps, services = running.apps or [running.app], running.services
    for each in apps:
        if each.running:
            await each.stop()
    # After the handlers finished: what they queued is sent or stays queued for the next start.
    if services.post is not None:
        await services.post.stop()
    for each in apps:
        if each.bot_data.inbox is not None:
            await each.bot_data.inbox.stop()
        await each.shutdown()
    await stop_sms(running.services, close=True)
    await dispose_read_engine(running.reader, running.engine)
    if dispose_engine:
        await running.engine.dispose()
    log.info("bot stopped")


def web_routes(running: Running) -> list[BaseRoute]:
    """The desk page's routes (`web`), when WEB_BASE_URL is set."""
    deps = web_deps(running)
    return [] if deps is None else routes(deps)


def web_deps(running: Running) -> WebDeps | None:
    """What the desk page reads and writes through (None when WEB_BASE_URL is not set): its
    reads go through the bot's reading engine, never queueing behind the bot's writer."""
    settings = running.settings
    if settings.web_base_url is None:
        return None
    services = running.services
    return WebDeps(
        sessions=services.sessions,
        read_sessions=services.reads,
        clock=services.clock,
        base_url=settings.web_base_url,
        download_dir=settings.download_dir,
        election=settings.election,
    )


def http_server(running: Running) -> HttpServer | None:
    """The webhook/health/metrics server this configuration asks for, if any; the desk page
    rides on the webhook's server, or in polling mode gets WEB_PORT (with /healthz and
    /metrics), METRICS_PORT then being unused."""
    settings = running.settings
    page = web_routes(running)
    if settings.webhook_url is not None and settings.webhook_secret is not None:
        route = WebhookRoute(
            path=urlsplit(settings.webhook_url).path or "/",
            secret=settings.webhook_secret.get_secret_value(),
            app=running.app,
            ack_seconds=settings.webhook_ack_seconds,
        )
        return HttpServer(
            build_http_app(
                running.health,
                route,
                extra_routes=[*page, *routes_for(settings, running.services)],
            ),
            host=settings.webhook_listen,
            port=settings.webhook_port,
            graceful_seconds=settings.webhook_ack_seconds,
        )
    if page:
        return HttpServer(
            build_http_app(running.health, extra_routes=page),
            host=settings.web_listen,
            port=settings.web_port,
            graceful_seconds=5,
        )
    if settings.metrics_port is not None:
        return HttpServer(
            build_http_app(running.health),
            host=settings.metrics_listen,
            port=settings.metrics_port,
            graceful_seconds=5,
        )
    return None
