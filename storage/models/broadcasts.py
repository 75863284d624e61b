"""Broadcast instructions and their per-person deliveries (the persisted send queue)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Broadcast(Base):
    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    sender_chat: Mapped[int] = mapped_column(BigInteger)
    # The sender's scope when composing: nobody outside it is ever a recipient.
    scope_code: Mapped[str] = mapped_column(String(14))
    audience: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    text: Mapped[str] = mapped_column(Text, default="")  # sanitised Telegram HTML
    media_type: Mapped[str | None] = mapped_column(String(10), default=None)  # photo|document
    media_file_id: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    step: Mapped[str | None] = mapped_column(String(10), default=None)  # while a draft
    step_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resend_of: Mapped[int | None] = mapped_column(ForeignKey("broadcast.id"), default=None)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    uncertain: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Composed while a rehearsal ran (deleted with its data); NULL when real.
    rehearsal_id: Mapped[int | None] = mapped_column(ForeignKey("rehearsal.id"), default=None)
    # Sent with `allow_paid_broadcast` (0.1 Star a message) at the paid pace; `stars_out_at`:
    # when the bot's Stars ran out and the rest went at the free pace.
    paid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    stars_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        Index("ix_broadcast_sender_chat_status", "sender_chat", "status"),
        Index("ix_broadcast_status", "status"),
    )


class BroadcastDelivery(Base):
    __tablename__ = "broadcast_delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcast.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    scope_code: Mapped[str] = mapped_column(String(14))  # the person's, when queued
    bot_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the person's bot
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Worker scheduling runs on real time (Telegram's limits are real, test clocks are not).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    error: Mapped[str | None] = mapped_column(String(200), default=None)
    paid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # went paid

    __table_args__ = (
        UniqueConstraint("broadcast_id", "person_id", name="uq_broadcast_delivery_person"),
        Index("ix_broadcast_delivery_work", "status", "broadcast_id", "id"),
        Index("ix_broadcast_delivery_telegram_id", "telegram_id", "broadcast_id"),
        # The desk page watches the newest acknowledgement (web.live).
        Index("ix_broadcast_delivery_acked_at", "acked_at"),
    )
