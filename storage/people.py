"""People, invites, registration requests, desk groups and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.invites import InviteProblem, InviteState, hash_code, invite_problem, new_code
from domain.people import Member, Registration
from domain.roles import Role
from storage.models import AuditLog, Invite, Person, RegistrationRequest, StartAttempt

# Asked for every update (who sent it): a prebuilt Core statement, compiled once.
_PEOPLE = cast(Table, Person.__table__)
_MEMBER = select(_PEOPLE).where(
    _PEOPLE.c.telegram_id == bindparam("telegram_id"), _PEOPLE.c.revoked_at.is_(None)
)


def _member(p: Person | Row[Any]) -> Member:
    return Member(
        id=p.id,
        telegram_id=p.telegram_id,
        name=p.name,
        role=Role(p.role),
        scope=p.scope_code,
        language=p.language,
        reachable=p.reachable,
        username=p.username,
        phone=p.phone,
        bot_id=p.bot_id,
    )


async def member_by_telegram_id(session: AsyncSession, telegram_id: int) -> Member | None:
    """The registered person behind an account; None if unknown or revoked."""
    row = (await session.execute(_MEMBER, {"telegram_id": telegram_id})).first()
    return _member(row) if row is not None else None


async def member_by_id(session: AsyncSession, person_id: int) -> Member | None:
    person = await session.get(Person, person_id)
    return _member(person) if person else None


async def _person(session: AsyncSession, telegram_id: int) -> Person | None:
    stmt = select(Person).where(Person.telegram_id == telegram_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def upsert_member(
    session: AsyncSession,
    *,
    telegram_id: int,
    name: str,
    username: str | None,
    role: Role,
    scope: str,
    language: str,
    now: datetime,
    bot_id: int | None = None,
) -> Member:
    """Bind a Telegram account to a role and scope (a new person, or a changed one).

    `bot_id`: the desk's bot they started (None keeps the one recorded, or the desk's first)."""
    person = await _person(session, telegram_id)
    if person is None:
        person = Person(
            telegram_id=telegram_id,
            name=name,
            username=username,
            role=role.value,
            scope_code=scope,
            language=language,
            reachable=True,
            created_at=now,
            updated_at=now,
            bot_id=bot_id,
        )
        session.add(person)
    else:
        person.name, person.username = name, username
        person.role, person.scope_code = role.value, scope
        person.reachable, person.unreachable_since, person.updated_at = True, None, now
        person.revoked_at = None
        if bot_id is not None:
            person.bot_id = bot_id
    await session.flush()
    return _member(person)


async def set_language(session: AsyncSession, telegram_id: int, language: str) -> None:
    await session.execute(
        update(Person).where(Person.telegram_id == telegram_id).values(language=language)
    )


async def set_reachable(
    session: AsyncSession, telegram_id: int, reachable: bool, now: datetime
) -> None:
    values: dict[str, Any] = {
        "reachable": reachable,
        "unreachable_since": None if reachable else now,
    }
    await session.execute(
        update(Person)
        .where(Person.telegram_id == telegram_id, Person.reachable != reachable)
        .values(**values)
    )


async def members_in_scope(
    session: AsyncSession, scope: str, *, roles: Sequence[Role] = ()
) -> list[Member]:
    stmt = (
        select(Person)
        .where(Person.scope_code.like(f"{scope}%"), Person.revoked_at.is_(None))
        .order_by(Person.id)
    )
    if roles:
        stmt = stmt.where(Person.role.in_([r.value for r in roles]))
    return [_member(p) for p in (await session.execute(stmt)).scalars()]


async def approvers_for(session: AsyncSession, tps_id: str) -> list[Member]:
    """Camat of the TPS's district, else coordinators/admins whose scope holds the TPS."""
    camats = await members_in_scope(session, tps_id[:6], roles=[Role.CAMAT])
    if camats:
        return camats
    scopes = ["", tps_id[:2], tps_id[:4], tps_id[:6]]
    stmt = (
        select(Person)
        .where(
            Person.role.in_([Role.COORDINATOR.value, Role.ADMIN.value]),
            Person.scope_code.in_(scopes),
            Person.revoked_at.is_(None),
        )
        .order_by(func.length(Person.scope_code).desc(), Person.id)
    )
    people = [_member(p) for p in (await session.execute(stmt)).scalars()]
    if not people:
        return []
    closest = len(people[0].scope)
    return [p for p in people if len(p.scope) == closest]


# Invites ---------------------------------------------------------------------------------------


async def create_invites(
    session: AsyncSession,
    *,
    codes: Sequence[str],
    role: Role,
    scope: str,
    created_by: int | None,
    now: datetime,
    ttl: timedelta,
) -> None:
    session.add_all(
        Invite(
            code_hash=hash_code(c),
            role=role.value,
            scope_code=scope,
            created_by=created_by,
            created_at=now,
            expires_at=now + ttl,
        )
        for c in codes
    )
    await session.flush()


async def find_invite(
    session: AsyncSession, code: str, now: datetime
) -> tuple[Invite | None, InviteProblem | None]:
    stmt = select(Invite).where(Invite.code_hash == hash_code(code))
    invite = (await session.execute(stmt)).scalar_one_or_none()
    state = InviteState(invite.used_at, invite.expires_at) if invite else None
    return invite, invite_problem(state, now)


async def mark_invite_used(
    session: AsyncSession, invite_id: int, person_id: int, now: datetime
) -> bool:
    """Consume an invite exactly once; False if someone else took it first."""
    result = await session.execute(
        update(Invite)
        .where(Invite.id == invite_id, Invite.used_at.is_(None))
        .values(used_at=now, used_by=person_id)
    )
    return bool(getattr(result, "rowcount", 0))


async def record_failed_attempt(session: AsyncSession, telegram_id: int, now: datetime) -> None:
    session.add(StartAttempt(telegram_id=telegram_id, at=now))
    await session.flush()


async def failed_attempts_since(session: AsyncSession, telegram_id: int, since: datetime) -> int:
    stmt = select(func.count()).where(
        StartAttempt.telegram_id == telegram_id, StartAttempt.at >= since
    )
    return int((await session.execute(stmt)).scalar_one())


async def clear_attempts(session: AsyncSession, telegram_id: int) -> None:
    await session.execute(delete(StartAttempt).where(StartAttempt.telegram_id == telegram_id))


# Self-registration -----------------------------------------------------------------------------


def _registration(r: RegistrationRequest) -> Registration:
    return Registration(
        id=r.id,
        telegram_id=r.telegram_id,
        name=r.name,
        tps_id=r.tps_id,
        status=r.status,
        language=r.language,
        bot_id=r.bot_id,
    )


async def create_registration(
    session: AsyncSession,
    *,
    telegram_id: int,
    name: str,
    username: str | None,
    language: str,
    tps_id: str,
    now: datetime,
    bot_id: int | None = None,
) -> Registration:
    """File a request, replacing any earlier pending one from the same account; `bot_id`: the
    desk's bot it came through (the person is bound to it when approved)."""
    await session.execute(
        update(RegistrationRequest)
        .where(
            RegistrationRequest.telegram_id == telegram_id, RegistrationRequest.status == "pending"
        )
        .values(status="replaced", decided_at=now)
    )
    request = RegistrationRequest(
        telegram_id=telegram_id,
        name=name,
        username=username,
        language=language,
        tps_id=tps_id,
        status="pending",
        created_at=now,
        bot_id=bot_id,
    )
    session.add(request)
    await session.flush()
    return _registration(request)


async def registration(session: AsyncSession, request_id: int) -> Registration | None:
    found = await session.get(RegistrationRequest, request_id)
    return _registration(found) if found else None


async def decide_registration(
    session: AsyncSession, request_id: int, *, approve: bool, decided_by: int, now: datetime
) -> bool:
    """Close a pending request; False if it was already decided (first decision wins)."""
    result = await session.execute(
        update(RegistrationRequest)
        .where(RegistrationRequest.id == request_id, RegistrationRequest.status == "pending")
        .values(status="approved" if approve else "rejected", decided_by=decided_by, decided_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def username_of(session: AsyncSession, request_id: int) -> str | None:
    found = await session.get(RegistrationRequest, request_id)
    return found.username if found else None


# Audit -------------------------------------------------------------------------------------------


async def audit(
    session: AsyncSession,
    *,
    actor_id: int | None,
    actor_label: str,
    action: str,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    session.add(
        AuditLog(at=now, actor_id=actor_id, actor_label=actor_label, action=action, detail=detail)
    )
    await session.flush()


async def audit_entries(session: AsyncSession, *, action: str | None = None) -> list[AuditLog]:
    stmt = select(AuditLog).order_by(AuditLog.id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    return list((await session.execute(stmt)).scalars())


async def issue_invites(
    session: AsyncSession,
    *,
    role: Role,
    scope: str,
    count: int,
    created_by: int | None,
    actor_label: str,
    now: datetime,
    ttl: timedelta,
) -> tuple[list[str], datetime]:
    """Make `count` fresh codes (returned in clear once, stored hashed) and audit it."""
    codes = [new_code() for _ in range(count)]
    await create_invites(
        session, codes=codes, role=role, scope=scope, created_by=created_by, now=now, ttl=ttl
    )
    await audit(
        session,
        actor_id=created_by,
        actor_label=actor_label,
        action="invites_created",
        detail={"role": role.value, "scope": scope, "count": count},
        now=now,
    )
    return codes, now + ttl
