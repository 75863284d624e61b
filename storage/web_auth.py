"""Signing in to the desk page: one-time links from `/dasbor`, then browser sessions.

A link carries a random token; only its SHA-256 is stored (as for invites). Redeeming it is one
conditional UPDATE (`used_at IS NULL AND expires_at > now`), so a link signs in once even when
two browsers race for it. The session cookie is another random token, also stored hashed. Every
request looks the person up again (`session_member`): someone whose role is no longer one that
may see the page, who was removed, or whose sessions an admin ended, is signed out at once, and
the scope shown is always the person's current one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.invites import InviteProblem, hash_code
from domain.people import Member
from domain.roles import Role
from storage.models import Person, WebLogin, WebSession
from storage.people import _member

# Who may open the page: desk staff (see DESIGN.md's table of roles).
PAGE_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
LOGIN_TTL = timedelta(minutes=10)
# A working shift at the desk.
SESSION_TTL = timedelta(hours=12)
TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A redeemed link: the new session's cookie value (secret) and who it belongs to."""

    token: str
    member: Member
    expires_at: datetime


async def create_login(session: AsyncSession, person_id: int, now: datetime) -> str:
    """A new one-time sign-in token for a person, valid for `LOGIN_TTL`."""
    token = new_token()
    session.add(
        WebLogin(
            token_hash=hash_code(token),
            person_id=person_id,
            created_at=now,
            expires_at=now + LOGIN_TTL,
        )
    )
    await session.flush()
    return token


def new_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


async def redeem_login(
    session: AsyncSession, token: str, now: datetime
) -> SignedIn | InviteProblem:
    """Use a sign-in token once and open a session; or say why not (unknown, used, expired).

    A person who may no longer see the page gets `UNKNOWN`, the same answer as a made-up token.
    """
    row = (
        await session.execute(select(WebLogin).where(WebLogin.token_hash == hash_code(token)))
    ).scalar_one_or_none()
    if row is None:
        return InviteProblem.UNKNOWN
    if row.used_at is not None:
        return InviteProblem.USED
    if row.expires_at <= now:
        return InviteProblem.EXPIRED
    taken = await session.execute(
        update(WebLogin)
        .where(WebLogin.id == row.id, WebLogin.used_at.is_(None))
        .values(used_at=now)
    )
    if not getattr(taken, "rowcount", 0):
        return InviteProblem.USED
    person = await session.get(Person, row.person_id)
    if person is None or person.revoked_at is not None or Role(person.role) not in PAGE_ROLES:
        return InviteProblem.UNKNOWN
    cookie = new_token()
    expires = now + SESSION_TTL
    session.add(
        WebSession(
            token_hash=hash_code(cookie),
            person_id=person.id,
            created_at=now,
            expires_at=expires,
        )
    )
    await session.flush()
    return SignedIn(token=cookie, member=_member(person), expires_at=expires)


async def session_member(session: AsyncSession, token: str, now: datetime) -> Member | None:
    """The person behind a session cookie, as they are now; None when it is not (or no
    longer) valid, they were revoked, or their role may not see the page."""
    row = (
        await session.execute(
            select(Person)
            .join(WebSession, WebSession.person_id == Person.id)
            .where(
                WebSession.token_hash == hash_code(token),
                WebSession.ended_at.is_(None),
                WebSession.expires_at > now,
                Person.revoked_at.is_(None),
            )
        )
    ).scalar_one_or_none()
    if row is None or Role(row.role) not in PAGE_ROLES:
        return None
    return _member(row)


async def end_session(session: AsyncSession, token: str, now: datetime) -> None:
    """Sign one browser out."""
    await session.execute(
        update(WebSession)
        .where(WebSession.token_hash == hash_code(token), WebSession.ended_at.is_(None))
        .values(ended_at=now)
    )


async def end_sessions_of(session: AsyncSession, person_id: int, now: datetime) -> int:
    """End every open session of a person and void their unused links; how many sessions."""
    await session.execute(
        update(WebLogin)
        .where(WebLogin.person_id == person_id, WebLogin.used_at.is_(None))
        .values(used_at=now)
    )
    result = await session.execute(
        update(WebSession)
        .where(
            WebSession.person_id == person_id,
            WebSession.ended_at.is_(None),
            WebSession.expires_at > now,
        )
        .values(ended_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
