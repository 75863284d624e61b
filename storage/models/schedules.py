"""The desk schedule, the slots it implies, per-recipient deliveries and stored digests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime
from storage.models.checkins import Checkin


class DeskScheduleRow(Base):
    """One row (id 1): the schedule as a TOML-shaped JSON document."""

    __tablename__ = "desk_schedule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Hash of the config file last applied: a changed file wins at start, an unchanged one
    # leaves the admins' edits in chat alone.
    file_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)


class Slot(Base):
    """One reminder, escalation, digest or alert: recorded once, sent once or marked missed."""

    __tablename__ = "slot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str] = mapped_column(String(16), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    useful_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10))  # sending | done | missed
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    # A rehearsal's slot (key `sim<id>:...`); NULL for the real schedule's.
    rehearsal_id: Mapped[int | None] = mapped_column(
        ForeignKey("rehearsal.id"), default=None, index=True
    )

    __table_args__ = (Index("ix_slot_status_due_at", "status", "due_at"),)


class Digest(Base):
    """The figures of one digest for one scope, built once, so a resumed send and the next
    digest's "change since" use exactly the same numbers."""

    __tablename__ = "digest"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"))
    scope: Mapped[str] = mapped_column(String(14))
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        UniqueConstraint("slot_id", "scope", name="uq_digest_slot_scope"),
        Index("ix_digest_scope_built_at", "scope", "built_at"),
    )


class CheckinCount(Base):
    """Current check-ins per district, kind and severity, kept by database triggers on
    `checkin` (migration 0004), so a digest reads a few thousand rows instead of scanning
    every current check-in, whoever writes the check-ins and however."""

    __tablename__ = "checkin_count"

    district_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    severity: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


# Seeks straight to the few check-ins a digest names (severe floods, incidents), and covers
# the desk page's lists (worst first, then newest: `storage.dashboard.problems`), which
# otherwise read every flood or blank spot of a province from the table to sort them.
Index(
    "ix_checkin_current_kind_severity",
    Checkin.kind,
    Checkin.severity,
    Checkin.district_code,
    Checkin.is_current,  # SQLite covers a query only if every column it names is indexed
    Checkin.received_at,
    postgresql_where=text("is_current"),
    sqlite_where=text("is_current"),
)
