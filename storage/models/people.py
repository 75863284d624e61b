"""People, invites, registration requests, desk groups and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(64), default=None)
    role: Mapped[str] = mapped_column(String(16))
    scope_code: Mapped[str] = mapped_column(String(14))
    language: Mapped[str] = mapped_column(String(2), default="id")
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    # E.164 (`+6281234567890`, domain.phone): who is texting the SMS gateway. Unique when set.
    phone: Mapped[str | None] = mapped_column(String(16), default=None, unique=True)
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Revoked by an admin or coordinator: no access from that moment; the row stays so the
    # check-ins this person filed stay theirs. A new invite binds the account again.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The desk's bot this person started (Telegram lets only that bot write to them); None: the
    # desk's first bot (a one-bot desk, or someone registered before the desk had several).
    bot_id: Mapped[int | None] = mapped_column(BigInteger, default=None)

    __table_args__ = (
        Index("ix_person_role_scope", "role", "scope_code"),
        Index("ix_person_scope_code", "scope_code"),
    )


class Invite(Base):
    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    scope_code: Mapped[str] = mapped_column(String(14))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    used_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    # A registered person who opened this invite and is being asked whether to switch to it.
    offered_to: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # The number (E.164) an admin gave this invite's future holder (`deskbot people phones`);
    # theirs when they redeem it, unless they have one already.
    phone: Mapped[str | None] = mapped_column(String(16), default=None)


class StartAttempt(Base):
    """Failed invite redemptions, for throttling guessers."""

    __tablename__ = "start_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_start_attempt_telegram_id_at", "telegram_id", "at"),)


class RegistrationRequest(Base):
    """A self-registration through /daftar, waiting for the camat or a coordinator."""

    __tablename__ = "registration_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(64), default=None)
    language: Mapped[str] = mapped_column(String(2), default="id")
    bot_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the bot asked
    tps_id: Mapped[str] = mapped_column(ForeignKey("tps.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_registration_request_telegram_id", "telegram_id", "status"),)


class DeskGroup(Base):
    __tablename__ = "desk_group"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(255))
    scope_code: Mapped[str] = mapped_column(String(14), default="")
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Forum supergroups: the topic digests go to, and the topic alerts go to (None: the same
    # as digests; both None: General). Set by /daftargrup typed in a topic.
    thread_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    alert_thread_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # The desk's bot that is a member of the group and serves it; None: the desk's first bot.
    bot_id: Mapped[int | None] = mapped_column(BigInteger, default=None)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    actor_label: Mapped[str] = mapped_column(String(100))  # "cli", "telegram:12345"
    action: Mapped[str] = mapped_column(String(50))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text, default=None)
