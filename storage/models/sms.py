"""SMS through the gateway phone: what came in, what goes out, and when the phone was last heard.

- `sms_inbound`: every received SMS, stored (committed) before the gateway gets its 2xx, once
  per (sender, receivedAt, text, SIM) however often the gateway delivers it (`dedupe_key`);
  then processed: filed as a check-in, answered, or ignored, with the outcome kept.
- `sms_outbound`: the send queue. A row is claimed (`claimed_at`) before the gateway is called
  and recorded after (`sent_at` / `failed`), so nothing is sent twice; `not_after` is its
  time-to-live; `dedupe_key` makes each receipt/answer/reminder exist once.
- `sms_gateway`: one row per gateway device: last signed webhook, last ping, last SMS, when the
  desk was told it went silent.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class InboundStatus(StrEnum):
    NEW = "new"  # stored, not yet processed
    FILED = "filed"  # a check-in was stored (or found: a correction is a new version)
    REJECTED = "rejected"  # a known filer, but the line did not parse or was out of scope
    UNKNOWN = "unknown"  # a number nobody registered
    IGNORED = "ignored"  # operator notice, short code, own number, throttled repeat


class OutboundState(StrEnum):
    QUEUED = "queued"
    CLAIMED = "claimed"  # handed to the gateway call; never sent again automatically
    SENT = "sent"  # the gateway accepted it (202)
    FAILED = "failed"  # refused for good, or retries used up
    EXPIRED = "expired"  # its time-to-live passed before it could be sent


class SmsInbound(Base):
    __tablename__ = "sms_inbound"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    sender: Mapped[str] = mapped_column(String(32))  # as the gateway gave it
    phone: Mapped[str | None] = mapped_column(String(16), default=None)  # E.164, if a number
    text: Mapped[str] = mapped_column(Text)
    sim_number: Mapped[int | None] = mapped_column(Integer, default=None)
    device_id: Mapped[str] = mapped_column(String(64), default="")
    envelope_id: Mapped[str] = mapped_column(String(64), default="")  # the first delivery's
    deliveries: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the SMS's own time
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the bot got it
    status: Mapped[str] = mapped_column(String(10), default=InboundStatus.NEW.value)
    outcome: Mapped[str] = mapped_column(String(40), default="")  # a problem code, a reason
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkin.id"), default=None)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        Index("ix_sms_inbound_status", "status"),
        Index("ix_sms_inbound_phone_arrived_at", "phone", "arrived_at"),
    )


class SmsOutbound(Base):
    __tablename__ = "sms_outbound"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(80), unique=True)
    phone: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(160))
    purpose: Mapped[str] = mapped_column(String(12))  # receipt, problem, unknown, reminder
    state: Mapped[str] = mapped_column(String(8), default=OutboundState.QUEUED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    gateway_id: Mapped[str | None] = mapped_column(String(40), default=None)
    error: Mapped[str | None] = mapped_column(String(200), default=None)

    __table_args__ = (
        Index("ix_sms_outbound_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_sms_outbound_phone_created_at", "phone", "created_at"),
    )


class SmsGateway(Base):
    __tablename__ = "sms_gateway"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)  # any signed webhook
    last_ping_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_sms_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    silent_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)  # alerted
    caught_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
