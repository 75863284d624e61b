"""People management: who is registered for a place, revoking a person, handing a TPS over.

Used by the chat commands (`/orang`, `/cabut`, `/serahkan`) and by `deskbot people`. Every
change is audited in the same transaction. A revoked person keeps their row (so the check-ins
they filed stay theirs) but `member_by_telegram_id` no longer finds them: they lose access at
the next update they send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.invites import hash_code, new_code
from domain.roles import Role
from storage.models import District, Invite, Person, Tps, Village
from storage.people import audit, issue_invites


@dataclass(frozen=True, slots=True)
class Registered:
    """One registered person as a list shows them (`since`: when they were bound, UTC)."""

    id: int
    telegram_id: int
    name: str
    username: str | None
    role: Role
    scope: str
    since: datetime
    phone: str | None = None  # the number SMS are filed from (E.164)


def _registered(p: Person) -> Registered:
    return Registered(
        id=p.id,
        telegram_id=p.telegram_id,
        name=p.name,
        username=p.username,
        role=Role(p.role),
        scope=p.scope_code,
        since=p.updated_at,
        phone=p.phone,
    )


async def registered_in(session: AsyncSession, scope: str) -> list[Registered]:
    """People (not revoked) whose scope lies inside `scope`, widest scope first, then by id."""
    stmt = (
        select(Person)
        .where(Person.scope_code.like(f"{scope}%"), Person.revoked_at.is_(None))
        .order_by(Person.scope_code, Person.id)
    )
    return [_registered(p) for p in (await session.execute(stmt)).scalars()]


async def registered_person(session: AsyncSession, person_id: int) -> Registered | None:
    """A registered (not revoked) person by their number, or None."""
    person = await session.get(Person, person_id)
    if person is None or person.revoked_at is not None:
        return None
    return _registered(person)


async def revoke(
    session: AsyncSession,
    person_id: int,
    *,
    actor_id: int | None,
    actor_label: str,
    now: datetime,
    reason: str = "revoked",
) -> bool:
    """Take a person's access away at once; False if they were not registered (any more)."""
    person = await session.get(Person, person_id)
    if person is None or person.revoked_at is not None:
        return False
    await session.execute(
        update(Person).where(Person.id == person_id).values(revoked_at=now, updated_at=now)
    )
    await audit(
        session,
        actor_id=actor_id,
        actor_label=actor_label,
        action="person_revoked",
        detail={
            "person": person_id,
            "telegram_id": person.telegram_id,
            "role": person.role,
            "scope": person.scope_code,
            "reason": reason,
        },
        now=now,
    )
    return True


@dataclass(frozen=True, slots=True)
class Handover:
    """A TPS handed to a new officer: who lost access, and the one invite for the new one."""

    revoked: list[Registered]
    code: str
    expires_at: datetime


async def hand_over(
    session: AsyncSession,
    tps_id: str,
    *,
    actor_id: int | None,
    actor_label: str,
    now: datetime,
    ttl: timedelta,
) -> Handover:
    """Revoke the TPS's current officers and make one invite for the officer who takes over."""
    stmt = select(Person.id).where(
        Person.scope_code == tps_id, Person.role == Role.TPS.value, Person.revoked_at.is_(None)
    )
    gone: list[Registered] = []
    for person_id in list((await session.execute(stmt)).scalars()):
        found = await registered_person(session, person_id)
        if found is not None and await revoke(
            session,
            person_id,
            actor_id=actor_id,
            actor_label=actor_label,
            now=now,
            reason="handover",
        ):
            gone.append(found)
    codes, expires = await issue_invites(
        session,
        role=Role.TPS,
        scope=tps_id,
        count=1,
        created_by=actor_id,
        actor_label=actor_label,
        now=now,
        ttl=ttl,
    )
    await audit(
        session,
        actor_id=actor_id,
        actor_label=actor_label,
        action="tps_handed_over",
        detail={"tps": tps_id, "revoked": [p.id for p in gone]},
        now=now,
    )
    return Handover(revoked=gone, code=codes[0], expires_at=expires)


@dataclass(frozen=True, slots=True)
class TpsInvite:
    """One row of a bulk invitation: the TPS, its place in words, and the single-use code."""

    tps_id: str
    place: str
    code: str


async def invite_every_tps(
    session: AsyncSession,
    scope: str,
    *,
    created_by: int | None,
    actor_label: str,
    now: datetime,
    ttl: timedelta,
) -> tuple[list[TpsInvite], datetime]:
    """One TPS-officer invite for every TPS in a region (retired TPS left out), audited once.

    All rows go in the caller's one transaction: either the whole region is invited or none.
    """
    rows = await session.execute(
        select(Tps.id, Tps.number, Village.name, District.name)
        .join(Village, Village.code == Tps.village_code)
        .join(District, District.code == Tps.district_code)
        .where(Tps.id.like(f"{scope}%"), Tps.retired_at.is_(None))
        .order_by(Tps.id)
    )
    places = [(t, f"TPS {n:03d} {village}, Kec. {district}") for t, n, village, district in rows]
    codes = [new_code() for _ in places]
    session.add_all(
        Invite(
            code_hash=hash_code(code),
            role=Role.TPS.value,
            scope_code=tps,
            created_by=created_by,
            created_at=now,
            expires_at=now + ttl,
        )
        for (tps, _), code in zip(places, codes, strict=True)
    )
    await session.flush()
    await audit(
        session,
        actor_id=created_by,
        actor_label=actor_label,
        action="invites_created",
        detail={"role": Role.TPS.value, "scope": scope, "count": len(codes), "per_tps": True},
        now=now,
    )
    invites = [
        TpsInvite(tps, place, code) for (tps, place), code in zip(places, codes, strict=True)
    ]
    return invites, now + ttl
