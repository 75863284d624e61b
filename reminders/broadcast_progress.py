"""The sender's status message: edited with the progress every few seconds, ending with a
summary. Edits count against the worker's pace, since they count against the bot too."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter, TelegramError

from domain.broadcast import BroadcastView
from handlers.broadcast import keyboards, views
from handlers.context import Services
from reminders.broadcast_send import retry_after_seconds
from storage import broadcasts, deliveries

log = logging.getLogger(__name__)


class Progress:
    def __init__(
        self,
        bot: Bot,
        services: Services,
        spend: Callable[[float], None],
        *,
        every: float,
        monotonic: Callable[[], float],
        pause: Callable[[float], None],
    ) -> None:
        self.bot, self.services, self._spend = bot, services, spend
        self.every, self._mono, self._pause = every, monotonic, pause
        self._shown: dict[int, tuple[float, str]] = {}  # broadcast id -> (when, text)

    def started(self, bid: int) -> None:
        """The sender has just seen it queued: the first edit can wait its turn."""
        self._shown.setdefault(bid, (self._mono(), ""))

    async def tick(self, running: list[BroadcastView]) -> None:
        now = self._mono()
        for b in running:
            shown = self._shown.get(b.id)
            if shown is None or now - shown[0] >= self.every:
                await self.show(b)

    async def show(self, b: BroadcastView, *, final: bool = False) -> None:
        """Edit the status message if its text changed (the summary always goes out)."""
        if b.status_message_id is None:
            return
        async with self.services.transaction() as session:
            tally = await deliveries.tally_of(session, b.id)
            lang = await broadcasts.sender_language(session, b.id)
            label = await views.audience_label(session, lang, b)
        body = views.progress(lang, b, label, tally)
        now = self._mono()
        previous = self._shown.get(b.id)
        self._shown[b.id] = (now, body)
        if final:
            self._shown.pop(b.id, None)
        elif previous is not None and previous[1] == body:
            return
        markup = keyboards.status(lang, b.id) if tally.finished else None
        self._spend(now)
        try:
            await self.bot.edit_message_text(
                body, b.sender_chat, b.status_message_id, parse_mode="HTML", reply_markup=markup
            )
        except RetryAfter as exc:
            self._pause(retry_after_seconds(exc))
            if final:  # the summary must not be lost to a flood wait
                await asyncio.sleep(retry_after_seconds(exc) + 0.5)
                await self.show(b, final=True)
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return
            log.info("status message of broadcast %s is gone (%s)", b.id, exc)
            if final:
                await self._send(b, body, markup)
        except TelegramError:
            log.warning("could not update the status of broadcast %s", b.id, exc_info=True)

    async def _send(self, b: BroadcastView, body: str, markup: InlineKeyboardMarkup | None) -> None:
        try:
            await self.bot.send_message(b.sender_chat, body, parse_mode="HTML", reply_markup=markup)
        except TelegramError:
            log.warning("could not send the summary of broadcast %s", b.id, exc_info=True)
