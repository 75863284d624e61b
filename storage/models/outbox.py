"""The inbox (updates taken from Telegram) and the outbox (Bot API calls the bot owes)."""

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
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class InboxUpdate(Base):
    """One update as Telegram sent it, committed before Telegram is told it arrived.

    `status`: pending (to handle), done, failed (set aside after repeated failures, with the
    error). `update_id` is Telegram's, unique per bot.
    """

    __tablename__ = "inbox_update"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(BigInteger, default=0)
    update_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        UniqueConstraint("bot_id", "update_id", name="uq_inbox_update_bot_id_update_id"),
        Index(
            "ix_inbox_update_pending",
            "bot_id",
            "update_id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )


class OutboxMessage(Base):
    """One Bot API call owed to a chat: claimed before it is made, its outcome recorded after.

    `params` are the call's Bot API parameters; an upload's bytes sit in `file_data`. `key`
    (unique when set) makes queueing idempotent. See `domain.outbox` for statuses and priorities.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str | None] = mapped_column(String(120), unique=True, default=None)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    file_field: Mapped[str | None] = mapped_column(String(16), default=None)
    file_name: Mapped[str | None] = mapped_column(String(120), default=None)
    file_data: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    priority: Mapped[int] = mapped_column(SmallInteger)
    proactive: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    useful_until: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    error: Mapped[str | None] = mapped_column(String(200), default=None)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slot.id"), default=None)
    # The bot the call leaves through (its recipient's); None: the desk's first bot.
    bot_id: Mapped[int | None] = mapped_column(BigInteger, default=None)

    __table_args__ = (
        # The sender's look-up of what is due: few rows are ever pending at once.
        Index(
            "ix_outbox_message_due",
            "priority",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_outbox_message_slot_id", "slot_id"),
        Index("ix_outbox_message_status", "status"),
    )
