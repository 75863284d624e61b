"""The sender's status message: edited with the progress every few seconds, ending with a
summary. The edits go through the sender (`outbox.sender`) like every message: they count
against the one limiter, a newer edit supersedes one still waiting, and the summary is kept
until it is delivered."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import Bot

from domain.broadcast import BroadcastView
from domain.outbox import Priority
from outbox import messages
from services import Services
from storage import broadcasts, deliveries
from views import broadcast as views
from views import broadcast_keyboards as keyboards

log = logging.getLogger(__name__)


class Progress:
    def __init__(
        self,
        bot: Bot,
        services: Services,
        *,
        every: float,
        monotonic: Callable[[], float],
    ) -> None:
        self.bot, self.services = bot, services
        self.every, self._mono = every, monotonic
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
        edit = messages.edit_text(b.sender_chat, b.status_message_id, body, markup=markup)
        edit.priority, edit.proactive = Priority.REMINDER, True
        if final:
            edit.key = f"broadcast:{b.id}:summary"
        results = await self.services.out.send(edit, wait=False)
        del results  # queued: the sender edits it when the pace allows, the summary surely
