"""Albums: several photos sent at once arrive as one update each, sharing `media_group_id`, and
Telegram sends no "album end" (Bot API, Message.media_group_id). The parts are stored as they
come; once an album has been quiet for `QUIET_SECONDS` it is handled as ONE message: the part
with the caption (or the first) carries all the photos, so it makes one check-in, one receipt,
or one question.

Stored first, so an album cut off by a stop is finished at the next start (`resume`). Handling
it again after a crash sends nothing twice: its answers are keyed to its first part's update,
and a quick line's check-in is deduplicated on its message.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update

from domain.checkins.rules import MAX_PHOTOS
from handlers.context import DeskApplication, DeskContext, services_of
from outbox import inbox
from outbox.inbox import UpdateScope
from storage.models import AlbumPart

log = logging.getLogger(__name__)

QUIET_SECONDS = 1.5
Handle = Callable[[Update, DeskContext], Awaitable[None]]
AlbumKey = tuple[int, str]  # (telegram id, media_group_id)

# The photos of the album being handled (None: handling an ordinary message).
_PHOTOS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "deskbot_album", default=None
)


def photo_ids(message: Message) -> list[str]:
    """The photos a message brings: all of its album's (at most `MAX_PHOTOS`), or its own."""
    album = _PHOTOS.get()
    if album is not None:
        return album[:MAX_PHOTOS]
    return [message.photo[-1].file_id] if message.photo else []


def collecting(message: Message) -> bool:
    """True for a part of an album not yet complete (it is to be stored, not answered)."""
    return message.media_group_id is not None and _PHOTOS.get() is None


class Albums:
    """Timers for albums waiting for their last part; one per running application."""

    def __init__(self, app: DeskApplication, handle: Handle) -> None:
        self.app, self.handle = app, handle
        self._timers: dict[AlbumKey, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def idle(self) -> bool:
        """No album waiting or being handled."""
        return not self._timers and not self._tasks

    def later(self, key: AlbumKey, delay: float = QUIET_SECONDS) -> None:
        """Handle the album `delay` seconds from now, unless another part comes first."""
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        self._timers[key] = loop.call_later(max(0.0, delay), self._start, key)

    def _start(self, key: AlbumKey) -> None:
        self._timers.pop(key, None)
        task = asyncio.create_task(self._finish(key), name=f"album-{key[1]}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Cancel the timers (the parts stay stored for the next start); let handling finish."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=15)

    async def _finish(self, key: AlbumKey) -> None:
        services = services_of(self.app)
        async with services.transaction() as session:
            parts = await _parts(session, key)
        if not parts:
            return
        updates = [Update.de_json(dict(p.payload), self.app.bot) for p in parts]
        found = [u for u in updates if u is not None and u.message is not None]
        if not found:
            await _forget(services.transaction, key)
            return
        lead = next((u for u in found if u.message and u.message.caption), found[0])
        photos = [pid for u in found if u.message for pid in photo_ids_of(u.message)]
        processor = self.app.update_processor
        data = self.app.bot_data
        scope = UpdateScope(found[0].update_id, data.bot_id, sender=data.sender)
        context = DeskContext.from_update(lead, self.app)
        run = getattr(processor, "in_order", None)
        coroutine = self._handle(lead, context, photos, scope)
        try:
            if run is not None:
                await run(key[0], coroutine)
            else:
                await coroutine
        except Exception:
            log.exception("album %s of %s could not be handled", key[1], key[0])
        await _forget(services.transaction, key)

    async def _handle(
        self, lead: Update, context: DeskContext, photos: list[str], scope: UpdateScope
    ) -> None:
        scope_token = inbox.CURRENT.set(scope)
        photos_token = _PHOTOS.set(photos)
        try:
            await self.handle(lead, context)
        finally:
            _PHOTOS.reset(photos_token)
            inbox.CURRENT.reset(scope_token)


def photo_ids_of(message: Message) -> list[str]:
    """A message's own photo (its largest size), ignoring any album being handled."""
    return [message.photo[-1].file_id] if message.photo else []


async def _parts(session: AsyncSession, key: AlbumKey) -> list[AlbumPart]:
    stmt = (
        select(AlbumPart)
        .where(AlbumPart.telegram_id == key[0], AlbumPart.media_group_id == key[1])
        .order_by(AlbumPart.message_id)
    )
    return list((await session.execute(stmt)).scalars())


async def _forget(transaction: Any, key: AlbumKey) -> None:
    async with transaction() as session:
        await session.execute(
            delete(AlbumPart).where(
                AlbumPart.telegram_id == key[0], AlbumPart.media_group_id == key[1]
            )
        )


async def collect(update: Update, context: DeskContext) -> None:
    """Store one part of an album and (re)start its quiet period."""
    message, user = update.message, update.effective_user
    assert message is not None and user is not None and message.media_group_id is not None
    key = (user.id, message.media_group_id)
    async with context.services.transaction() as session:
        known = await session.execute(
            select(AlbumPart.id).where(
                AlbumPart.telegram_id == key[0],
                AlbumPart.media_group_id == key[1],
                AlbumPart.message_id == message.message_id,
            )
        )
        if known.first() is None:
            session.add(
                AlbumPart(
                    telegram_id=key[0],
                    media_group_id=key[1],
                    message_id=message.message_id,
                    payload=update.to_dict(),
                    received_at=context.now(),
                    bot_id=context.bot.id,
                )
            )
    albums = _albums(context.application)
    if albums is not None:
        albums.later(key)


def _albums(app: Any) -> Albums | None:
    found = getattr(app.bot_data, "albums", None)
    return found if isinstance(found, Albums) else None


async def resume(app: DeskApplication, handle: Handle) -> Albums:
    """At start: attach the album timers, and finish the albums stored before the last stop
    (at once if their quiet period has passed)."""
    services = services_of(app)
    albums = Albums(app, handle)
    app.bot_data.albums = albums
    if services.albums is None or app.bot_data.sender is services.sender:
        services.albums = albums  # the desk's first bot's (tests wait for it to be idle)
    now: datetime = services.clock()
    mine = AlbumPart.bot_id == app.bot_data.bot_id
    if app.bot_data.sender is services.sender:  # the first bot: parts with no bot too
        mine = or_(mine, AlbumPart.bot_id.is_(None))
    async with services.transaction() as session:
        rows = (
            await session.execute(
                select(
                    AlbumPart.telegram_id, AlbumPart.media_group_id, AlbumPart.received_at
                ).where(mine)
            )
        ).all()
    newest: dict[AlbumKey, datetime] = {}
    for telegram_id, group_id, received_at in rows:
        key = (telegram_id, group_id)
        newest[key] = max(received_at, newest.get(key, received_at))
    quiet = timedelta(seconds=QUIET_SECONDS)
    for key, last in newest.items():
        albums.later(key, min(max(0.0, (last + quiet - now).total_seconds()), QUIET_SECONDS))
    if newest:
        log.info("finishing %d album(s) received before the last stop", len(newest))
    return albums


async def stop(app: DeskApplication) -> None:
    """Stop the album timers (see `Albums.stop`)."""
    with contextlib.suppress(RuntimeError):
        albums = _albums(app)
        if albums is not None:
            await albums.stop()
