"""A registered person as the rest of the bot sees them."""

from __future__ import annotations

from dataclasses import dataclass

from domain.roles import Role


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    telegram_id: int
    name: str
    role: Role
    scope: str
    language: str
    reachable: bool = True
    username: str | None = None
    phone: str | None = None  # E.164 (domain.phone), for SMS filing
    bot_id: int | None = None  # the desk's bot they started (None: the desk's first)


@dataclass(frozen=True, slots=True)
class Registration:
    """A pending self-registration through /daftar."""

    id: int
    telegram_id: int
    name: str
    tps_id: str
    status: str
    language: str
    bot_id: int | None = None  # the desk's bot it was asked through (None: the first)
