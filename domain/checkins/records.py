"""Check-ins and drafts as the rest of the bot sees them, and the times a receipt shows."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.checkins.kinds import Kind, Severity, Source
from domain.regions import zone_for_province

# A message Telegram dated this much before it reached the bot was queued on the phone.
LATE_AFTER = timedelta(minutes=5)
RELAY_FLOW = "relay"


@dataclass(frozen=True, slots=True)
class TpsInfo:
    id: str
    number: int
    village: str
    district: str
    district_code: str
    regency_code: str
    province_code: str

    @property
    def label(self) -> str:
        return f"TPS {self.number:03d} {self.village}"


@dataclass(frozen=True, slots=True)
class Filed:
    """One stored check-in version."""

    id: int
    tps_id: str
    kind: Kind
    version: int
    severity: Severity
    payload: dict[str, Any]
    source: Source
    relayed: bool
    filed_by: str  # the person's name, for history and exports
    sent_at: datetime
    received_at: datetime
    duplicate: bool = False  # this call found it already stored (a redelivered update)
    rehearsal_id: int | None = None  # filed during a rehearsal (`domain.rehearsal`)

    @property
    def late(self) -> bool:
        return is_late(self.sent_at, self.received_at)


def is_late(sent_at: datetime, received_at: datetime) -> bool:
    return received_at - sent_at > LATE_AFTER


def local_time(moment: datetime, province_code: str) -> tuple[datetime, str]:
    """The moment in the desk's zone for this province, with the zone's short name."""
    zone = zone_for_province(province_code)
    return moment.astimezone(ZoneInfo(zone.value)), zone.name


@dataclass
class Draft:
    """A guided check-in in progress (the `conversation` row)."""

    telegram_id: int
    chat_id: int
    flow: str  # a Kind value, or RELAY_FLOW while a camat picks the TPS and kind
    step: str
    started_at: datetime
    updated_at: datetime
    token: str = field(default_factory=lambda: secrets.token_hex(5))
    tps_id: str | None = None
    relayed: bool = False
    answers: dict[str, Any] = field(default_factory=dict)
    message_id: int | None = None
    last_message_id: int = 0

    @property
    def kind(self) -> Kind | None:
        return Kind(self.flow) if self.flow in {k.value for k in Kind} else None

    @property
    def dedupe_key(self) -> str:
        """One check-in per draft, however often its Send button arrives."""
        return f"g:{self.telegram_id}:{self.token}"


def quick_dedupe_key(chat_id: int, message_id: int) -> str:
    """One check-in per quick-line message, however often Telegram delivers it."""
    return f"q:{chat_id}:{message_id}"
