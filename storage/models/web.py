"""The desk page's sign-in: one-time links sent by the bot, and browser sessions.

Both keep only a SHA-256 of their secret, as invites do: a copy of the database does not let
anyone sign in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class WebLogin(Base):
    """A sign-in link: valid until `expires_at`, once (`used_at`)."""

    __tablename__ = "web_login"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class WebSession(Base):
    """A signed-in browser: ends at `expires_at`, on signing out or when revoked."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (Index("ix_web_session_person_id", "person_id"),)
