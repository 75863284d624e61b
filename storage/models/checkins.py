"""Filed check-ins; every version is kept, the newest per TPS and kind is marked current."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Checkin(Base):
    __tablename__ = "checkin"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tps_id: Mapped[str] = mapped_column(ForeignKey("tps.id"))
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    # Denormalised from the TPS so coverage figures group without joins.
    district_code: Mapped[str] = mapped_column(String(6))
    regency_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    severity: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(8))
    filed_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    relayed: Mapped[bool] = mapped_column(Boolean, default=False)
    # When Telegram dated the message, and when it reached the bot (later if the phone queued it).
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # One check-in per originating update or finished draft, however often it is delivered.
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    # A rehearsal's check-in (never `is_current`: real figures never see it); NULL when real.
    rehearsal_id: Mapped[int | None] = mapped_column(
        ForeignKey("rehearsal.id"), default=None, index=True
    )

    __table_args__ = (
        UniqueConstraint("tps_id", "kind", "version", name="uq_checkin_tps_kind_version"),
        Index("ix_checkin_tps_kind", "tps_id", "kind"),
        Index(
            "ix_checkin_current_regency",
            "kind",
            "regency_code",
            "district_code",
            postgresql_where=text("is_current"),
            sqlite_where=text("is_current"),
        ),
        Index("ix_checkin_received_at", "received_at"),
        # Open incidents per district read from the index alone (the payload says resolved).
        Index(
            "ix_checkin_current_incident",
            "district_code",
            postgresql_include=["payload"],
            postgresql_where=text("is_current AND kind = 'kejadian'"),
            sqlite_where=text("is_current AND kind = 'kejadian'"),
        ),
    )
