"""Broadcast rules: statuses, who receives it, progress figures. Pure (no telegram, no
sqlalchemy). Formatting is in `domain.richtext`, pacing in `domain.pacing`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.checkins.kinds import Kind
from domain.regions import Level, level_of
from domain.roles import Role

ACK_LABEL = "✅ Sudah dibaca / Understood"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed: the send may be under way
    SENT = "sent"
    FAILED = "failed"  # Telegram refused it for good (not a block)
    BLOCKED = "blocked"  # the person blocked the bot or never opened it
    # Claimed before a crash, or the connection dropped after the request left: it may have
    # arrived. Never sent again automatically (no one gets a broadcast twice).
    UNCERTAIN = "uncertain"


# Paid broadcasts. Bot API `allow_paid_broadcast` (https://core.telegram.org/bots/api#sendmessage):
# "Pass True to allow up to 1000 messages per second, ignoring broadcasting limits for a fee
# of 0.1 Telegram Stars per message. The relevant Stars will be withdrawn from the bot's
# balance." The bot sends them a tenth below Telegram's figure: arrivals are jittered.
PAID_RATE = 900.0  # messages a second
STAR_TENTHS_PER_MESSAGE = 1  # 0.1 Star a message, kept in tenths of a Star (whole numbers)


@dataclass(frozen=True, slots=True)
class Pace:
    """How fast the worker sends; `rate` stays below Telegram's 30/s so replies still fit.
    `paid_rate` is the pace of a paid broadcast's messages (a second, see `PAID_RATE`)."""

    rate: float = 25.0
    progress_every: float = 3.0  # seconds between edits of the sender's status message
    max_in_flight: int = 64
    paid_rate: float = PAID_RATE


@dataclass(frozen=True, slots=True)
class PaidEstimate:
    """What sending to `recipients` people paid costs and saves, shown before Send.

    `star_tenths`: the fee in tenths of a Telegram Star (recipients x 0.1 Star);
    `free_seconds` / `paid_seconds`: how long delivery takes at the free and the paid pace.
    """

    recipients: int
    star_tenths: int
    free_seconds: int
    paid_seconds: int

    @property
    def saved_seconds(self) -> int:
        return max(0, self.free_seconds - self.paid_seconds)


def lane_rate(rate: float, round_trip: float, max_in_flight: int | None = None) -> float:
    """Messages a second a broadcast lane of `rate` sends when Telegram takes `round_trip`
    seconds to answer a send: its pace, unless `max_in_flight` requests awaiting their
    answers at once (`Pace.max_in_flight`) cannot carry it. E.g. 900 with 64 in flight at
    0.25 s: 256. (A lane counts the jitter of round trips against its pace, not their
    length: `reminders.broadcast_lanes`.)"""
    trip = max(0.0, round_trip)
    if max_in_flight is not None and trip > 0:
        return min(rate, max_in_flight / trip)
    return rate


def paid_estimate(
    recipients: int,
    *,
    free_rate: float,
    paid_rate: float = PAID_RATE,
    round_trip: float = 0.0,
    max_in_flight: int | None = None,
) -> PaidEstimate:
    """Cost and times of a broadcast to `recipients` people: rates in messages a second,
    `round_trip` the seconds Telegram takes to answer a send and `max_in_flight` the sends
    awaiting answers at once (`lane_rate`), times rounded up to whole seconds (at least 1
    when anyone is sent to)."""

    def seconds(rate: float) -> int:
        achieved = lane_rate(rate, round_trip, max_in_flight)
        return 0 if recipients <= 0 else max(1, math.ceil(recipients / achieved))

    return PaidEstimate(
        recipients=recipients,
        star_tenths=recipients * STAR_TENTHS_PER_MESSAGE,
        free_seconds=seconds(free_rate),
        paid_seconds=seconds(paid_rate),
    )


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    QUEUED = "queued"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class DraftStep(StrEnum):
    """Where a draft waits: for its text, an audience choice, a typed region, a confirmation."""

    TEXT = "text"
    AUDIENCE = "audience"
    REGION = "region"
    PREVIEW = "preview"


# Audience ------------------------------------------------------------------------------------


class AudienceKind(StrEnum):
    ALL = "all"
    ROLE = "role"
    REGION = "region"
    NOT_FILED = "not_filed"  # TPS officers whose TPS has no current check-in of a kind
    RESEND = "resend"  # who has not acknowledged broadcast `value`


class AudienceError(ValueError):
    """An audience spec that does not make sense."""


@dataclass(frozen=True, slots=True)
class Audience:
    kind: AudienceKind
    value: str = ""

    def __post_init__(self) -> None:
        if self.kind is AudienceKind.ALL and self.value:
            raise AudienceError("'all' takes no value")
        if self.kind is AudienceKind.ROLE and self.value not in {r.value for r in Role}:
            raise AudienceError(f"unknown role {self.value!r}")
        if self.kind is AudienceKind.REGION and level_of(self.value) in (None, Level.NATION):
            raise AudienceError(f"not a region code: {self.value!r}")
        if self.kind is AudienceKind.NOT_FILED and self.value not in {k.value for k in Kind}:
            raise AudienceError(f"unknown check-in kind {self.value!r}")
        if self.kind is AudienceKind.RESEND and not self.value.isdigit():
            raise AudienceError(f"not a broadcast id: {self.value!r}")

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind.value, "value": self.value}

    @classmethod
    def from_json(cls, raw: Any) -> Audience:
        if not isinstance(raw, dict):
            raise AudienceError("an audience is a JSON object")
        try:
            kind = AudienceKind(str(raw.get("kind")))
        except ValueError:
            raise AudienceError(f"unknown audience kind {raw.get('kind')!r}") from None
        return cls(kind, str(raw.get("value", "")))


def region_filter(scope: str, audience: Audience) -> str | None:
    """The scope-code prefix every recipient must have; None when nobody can match.

    A sender only ever reaches people inside their own scope; a region outside it is empty.
    """
    if audience.kind is not AudienceKind.REGION:
        return scope
    region = audience.value
    if region.startswith(scope):
        return region
    if scope.startswith(region):
        return scope
    return None


def breakdown_length(scope: str) -> int:
    """How many leading characters of a scope code name the region one level below `scope`:
    provinces for the nation, regencies for a province, districts for a city, villages below."""
    for length in (2, 4, 6, 10):
        if len(scope) < length:
            return length
    return 14


# Progress --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    """How far one broadcast got, counted per delivery status."""

    total: int = 0
    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    uncertain: int = 0
    acked: int = 0
    paid: int = 0  # sent with allow_paid_broadcast (each drew 0.1 Star)

    @classmethod
    def of(cls, counts: dict[str, int], *, acked: int = 0, paid: int = 0) -> Tally:
        known = {s.value: counts.get(s.value, 0) for s in DeliveryStatus}
        return cls(total=sum(counts.values()), acked=acked, paid=paid, **known)

    @property
    def finished(self) -> bool:
        return self.pending == 0 and self.sending == 0

    @property
    def handled(self) -> int:
        return self.total - self.pending - self.sending

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else (100 * self.handled) // self.total


def progress_bar(percent: int, width: int = 10) -> str:
    filled = max(0, min(width, round(percent * width / 100)))
    return "▓" * filled + "░" * (width - filled)


# What storage hands back -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BroadcastView:
    id: int
    sender_id: int
    sender_chat: int
    scope: str
    audience: Audience | None
    text: str
    media_type: str | None
    media_file_id: str | None
    status: BroadcastStatus
    step: DraftStep | None
    step_at: datetime | None
    resend_of: int | None
    status_message_id: int | None
    total: int
    created_at: datetime
    # Sent with `allow_paid_broadcast` at the paid pace; `stars_out_at`: when the bot's Stars
    # ran out and the rest went at the free pace.
    paid: bool = False
    stars_out_at: datetime | None = None

    @property
    def caption(self) -> bool:
        return self.media_type is not None


@dataclass(frozen=True, slots=True)
class Due:
    """A delivery ready to be claimed."""

    id: int
    broadcast_id: int
    telegram_id: int
    attempts: int


@dataclass(frozen=True, slots=True)
class RegionAcks:
    """Acknowledgements of one broadcast in one region below the sender's scope."""

    code: str
    total: int
    reached: int
    acked: int

    @property
    def not_acked(self) -> int:
        return self.total - self.acked
