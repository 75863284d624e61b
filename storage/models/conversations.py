"""Half-finished guided check-ins, one row per person, written at every step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Conversation(Base):
    """Where someone is in a guided check-in; survives restarts because it is the only copy."""

    __tablename__ = "conversation"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Random per started check-in: ties buttons to this draft and makes the dedupe key.
    draft: Mapped[str] = mapped_column(String(16))
    flow: Mapped[str] = mapped_column(String(16))  # a Kind value, or "relay" while picking
    step: Mapped[str] = mapped_column(String(20))  # a StepKey value
    tps_id: Mapped[str | None] = mapped_column(String(14), default=None)
    relayed: Mapped[bool] = mapped_column(Boolean, default=False)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(Integer, default=None)  # the message edited
    # The newest incoming message handled here, so a redelivered one is not answered twice.
    last_message_id: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_conversation_updated_at", "updated_at"),)


class AlbumPart(Base):
    """One photo of an album (Telegram sends each as its own update, sharing `media_group_id`,
    and no "album end"): kept until the album has been quiet for a moment, then filed as one."""

    __tablename__ = "album_part"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    media_group_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # the whole update, as Telegram sent it
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    bot_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the bot it came to

    __table_args__ = (
        UniqueConstraint("telegram_id", "media_group_id", "message_id", name="uq_album_part"),
        Index("ix_album_part_received_at", "received_at"),
    )
