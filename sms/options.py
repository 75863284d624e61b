"""What the SMS side needs to know, built from the bot's settings (`bot/config.py`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from domain.checkins.records import Filed

Clock = Callable[[], datetime]
# (the check-in) -> None: the desk's listeners (alerts) for a newly stored check-in.
OnFiled = Callable[[Filed], Awaitable[None]]
# (text key, values) -> None: tell the desk groups (the bot renders the text catalogue).
NotifyDesk = Callable[[str, dict[str, Any]], Awaitable[None]]
# (purpose, outcome) -> None: count an outgoing SMS for /metrics.
CountSms = Callable[[str, str], None]
# (what) -> None: count a webhook request (its event, or why it was refused).
CountWebhook = Callable[[str], None]


@dataclass
class SmsOptions:
    """Limits and switches for SMS filing; defaults are the documented ones (.env.example)."""

    signing_key: str = field(repr=False)  # never in logs or tracebacks
    signature_window: timedelta = timedelta(minutes=5)
    own_numbers: frozenset[str] = frozenset()  # the gateway SIM's number(s), E.164
    election: str = "pemilu2024"
    # Sending: Android lets an app send about 30 parts a minute, then stalls or asks the user.
    per_minute: int = 10
    receipt_ttl: timedelta = timedelta(hours=2)
    retry_after: timedelta = timedelta(seconds=30)
    max_attempts: int = 6
    # No loops, no bills.
    answers_per_hour: int = 6  # any SMS to one number
    unknown_answers_per_day: int = 1
    repeat_window: timedelta = timedelta(hours=1)
    repeat_limit: int = 2  # the same text more often than this in the window is ignored
    # Gateway health, in the desk's local time.
    silence_after: timedelta = timedelta(minutes=30)
    watch_from: time = time(6, 0)
    watch_until: time = time(20, 0)
    timezone: str = "Asia/Jakarta"
    reminders: bool = False
    # Real seconds between looks at the queue and the clock (tests use a fraction).
    tick_seconds: float = 1.0
    watch_seconds: float = 30.0


@dataclass
class SmsHooks:
    """What the bot lends the SMS side (it imports neither telegram nor the bot)."""

    on_filed: OnFiled | None = None
    notify_desk: NotifyDesk | None = None
    count: CountSms = field(default=lambda purpose, outcome: None)
    count_webhook: CountWebhook = field(default=lambda what: None)
