"""Sliding-window flood control resembling Telegram's documented limits.

Chosen model (Telegram does not publish exact algorithms):

* per bot: at most ``per_bot_rate`` sends in any sliding 1 second window;
* per private chat: a burst of ``private_burst`` sends (default 10: Telegram asks bots to
  "avoid sending more than one message per second in a particular chat" and "may allow short
  bursts that go over this limit"; it publishes no burst size) is allowed,
  then on average ``per_chat_rate`` per second, i.e. at most ``private_burst``
  sends in any sliding window of ``private_burst / per_chat_rate`` seconds;
* per group/supergroup/channel (negative chat id): at most
  ``per_group_per_minute`` sends in any sliding 60 second window.

Paid broadcasts (Bot API ``allow_paid_broadcast``: "up to 1000 messages per second, ignoring
broadcasting limits for a fee of 0.1 Telegram Stars per message"): such a send counts toward
its chat's window and a paid window of ``PAID_PER_SECOND`` a second, not the per-bot window.

Edits count toward the per-chat/per-group windows; they count toward the per-bot
window only if ``count_edits_per_bot`` is true. Rejected (429) calls are not counted.
``retry_after`` is the whole number of seconds (at least 1) until the blocking
window frees a slot, as Telegram answers integers.

Replies: a send to a private chat that sent the bot an update within the last
``REPLY_WINDOW`` seconds is a *reply* (each update covers up to ``REPLIES_PER_UPDATE``
answers). With ``cap_replies=False`` replies do not count toward the per-bot window
(grammY's maintainers report Telegram does not hold replies to the bulk cap,
https://grammy.dev/advanced/flood); they still count toward their chat's window.

After any 429 Telegram refuses further calls until ``retry_after`` has passed: the
whole bot when the per-bot window (or an injected 429) caused it, one chat when that
chat's window did. ``Penalties`` keeps those waits; it applies even when the windows
themselves are disabled (an injected 429 behaves the same way).
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

REPLY_WINDOW = 10.0  # seconds an incoming update makes sends to its chat replies
REPLIES_PER_UPDATE = 3
# https://core.telegram.org/bots/api#sendmessage, allow_paid_broadcast: up to 1000 a second.
PAID_PER_SECOND = 1000


class SlidingWindow:
    def __init__(self, limit: int, window: float) -> None:
        self.limit = max(1, limit)
        self.window = window
        self.hits: deque[float] = deque()

    def _purge(self, now: float) -> None:
        while self.hits and self.hits[0] <= now - self.window:
            self.hits.popleft()

    def wait_time(self, now: float) -> float:
        """Seconds until one more hit is allowed (0 if allowed now)."""
        self._purge(now)
        if len(self.hits) < self.limit:
            return 0.0
        return self.hits[len(self.hits) - self.limit] + self.window - now

    def hit(self, now: float) -> None:
        self.hits.append(now)


@dataclass
class FloodNote:
    """How flood control judged one accepted send or edit (kept on its RequestRecord).

    ``at`` is ``time.monotonic()`` when it was counted; ``proactive`` is true when it
    counted toward the per-bot window (always for edits counted per bot, never for
    replies when ``cap_replies`` is false); ``reply`` says it answered a recent update.
    """

    chat_id: int
    at: float
    proactive: bool
    reply: bool
    is_edit: bool
    paid: bool = False  # sent with allow_paid_broadcast: counted in the paid window


@dataclass
class Refusal:
    """A 429 to answer: seconds to wait and whether it covers the bot or one chat."""

    retry_after: int
    scope: str  # "bot" or "chat"


class Penalties:
    """The waits imposed after a 429: the bot's and each chat's end time (monotonic)."""

    def __init__(self) -> None:
        self.bot_until = 0.0
        self.chats_until: dict[int, float] = {}

    def impose(self, seconds: int, *, chat_id: int | None, now: float | None = None) -> None:
        """Refuse the bot (``chat_id`` None) or one chat for ``seconds`` from now."""
        until = (time.monotonic() if now is None else now) + seconds
        if chat_id is None:
            self.bot_until = max(self.bot_until, until)
        else:
            self.chats_until[chat_id] = max(self.chats_until.get(chat_id, 0.0), until)

    def refusal(self, chat_id: int | None, now: float | None = None) -> Refusal | None:
        """The 429 a call to ``chat_id`` (None: no chat) gets now, if any."""
        moment = time.monotonic() if now is None else now
        waits = [(self.bot_until - moment, "bot")]
        if chat_id is not None:
            waits.append((self.chats_until.get(chat_id, 0.0) - moment, "chat"))
        wait, scope = max(waits)
        if wait <= 0:
            return None
        return Refusal(max(1, math.ceil(wait)), scope)

    def clear(self) -> None:
        self.bot_until = 0.0
        self.chats_until.clear()


class FloodControl:
    def __init__(
        self,
        *,
        enabled: bool,
        per_bot_rate: float,
        per_chat_rate: float,
        per_group_per_minute: int,
        private_burst: int = 10,
        count_edits_per_bot: bool = False,
        cap_replies: bool = True,
    ) -> None:
        self.enabled = enabled
        self.per_bot_rate = per_bot_rate
        self.per_chat_rate = per_chat_rate
        self.per_group_per_minute = per_group_per_minute
        self.private_burst = private_burst
        self.count_edits_per_bot = count_edits_per_bot
        self.cap_replies = cap_replies
        self.penalties = Penalties()
        self._bot = SlidingWindow(math.floor(per_bot_rate), 1.0)
        self._paid = SlidingWindow(PAID_PER_SECOND, 1.0)
        self._chats: dict[int, SlidingWindow] = {}
        # private chat id -> [time of the update, answers still covered]
        self._reply_credits: dict[int, deque[list[float]]] = {}

    def _chat_window(self, chat_id: int) -> SlidingWindow:
        window = self._chats.get(chat_id)
        if window is None:
            if chat_id < 0:
                window = SlidingWindow(self.per_group_per_minute, 60.0)
            else:
                burst = max(1, self.private_burst)
                window = SlidingWindow(burst, burst / max(self.per_chat_rate, 1e-6))
            self._chats[chat_id] = window
        return window

    # -- replies -----------------------------------------------------------------
    def note_incoming(self, chat_id: int, now: float | None = None) -> None:
        """A private chat sent the bot an update: its next answers are replies."""
        moment = time.monotonic() if now is None else now
        credits = self._reply_credits.setdefault(chat_id, deque())
        credits.append([moment, float(REPLIES_PER_UPDATE)])

    def _reply_credit(self, chat_id: int, now: float) -> list[float] | None:
        """The oldest update of the chat that still covers an answer, if any."""
        credits = self._reply_credits.get(chat_id)
        while credits and (credits[0][0] <= now - REPLY_WINDOW or credits[0][1] <= 0):
            credits.popleft()
        return credits[0] if credits else None

    # -- sends ---------------------------------------------------------------------
    def acquire(
        self, chat_id: int, *, is_edit: bool, paid: bool = False, now: float | None = None
    ) -> Refusal | FloodNote:
        """Count one send; return the refusal (429) or how the send was counted. A ``paid``
        send (``allow_paid_broadcast``) counts toward the paid window instead of the bot's.

        A refusal also imposes Telegram's wait (``penalties``) on the bot or the chat.
        """
        moment = time.monotonic() if now is None else now
        credit = None if is_edit or chat_id < 0 else self._reply_credit(chat_id, moment)
        reply = credit is not None
        per_bot = self.count_edits_per_bot if is_edit else (self.cap_replies or not reply)
        per_bot = per_bot and not paid
        if self.enabled:
            chat_wait = self._chat_window(chat_id).wait_time(moment)
            lane = self._paid if paid else self._bot
            bot_wait = lane.wait_time(moment) if per_bot or paid else 0.0
            if max(chat_wait, bot_wait) > 0:
                return self._refuse(chat_id, chat_wait, bot_wait, moment)
            self._chat_window(chat_id).hit(moment)
            if per_bot or paid:
                lane.hit(moment)
        if credit is not None:
            credit[1] -= 1
        return FloodNote(
            chat_id, moment, proactive=per_bot, reply=reply, is_edit=is_edit, paid=paid
        )

    def _refuse(self, chat_id: int, chat_wait: float, bot_wait: float, now: float) -> Refusal:
        if bot_wait > 0:
            self.penalties.impose(max(1, math.ceil(bot_wait)), chat_id=None, now=now)
        if chat_wait > 0:
            self.penalties.impose(max(1, math.ceil(chat_wait)), chat_id=chat_id, now=now)
        scope = "bot" if bot_wait >= chat_wait else "chat"
        return Refusal(max(1, math.ceil(max(chat_wait, bot_wait))), scope)

    def reset(self) -> None:
        self._bot.hits.clear()
        self._paid.hits.clear()
        self._chats.clear()
        self._reply_credits.clear()
        self.penalties.clear()
