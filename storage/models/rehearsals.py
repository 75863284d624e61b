"""Rehearsals (simulasi) and what officers needed help with while one ran.

Rows a rehearsal causes elsewhere (`checkin`, `slot`, `broadcast`) carry its id in a nullable
`rehearsal_id` column; real rows have NULL there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Rehearsal(Base):
    """One rehearsal; at most one is `running` (a partial unique index says so)."""

    __tablename__ = "rehearsal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    # The plan (`domain.rehearsal.RehearsalPlan.to_dict`), times relative to `started_at`.
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))  # running | ended | deleted
    # Set when the end-of-rehearsal report was claimed for sending (sent once).
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        Index(
            "ux_rehearsal_running",
            "status",
            unique=True,
            postgresql_where=text("status = 'running'"),
            sqlite_where=text("status = 'running'"),
        ),
    )


class RehearsalEvent(Base):
    """A failed quick line or a cancelled draft during a rehearsal (for "who needed help")."""

    __tablename__ = "rehearsal_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rehearsal_id: Mapped[int] = mapped_column(ForeignKey("rehearsal.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    kind: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
