"""Phone numbers from the invite CSV (`deskbot people phones FILE.csv`): a number per invite
link, or per Telegram id, applied in one transaction or not at all.

A number given to an invite nobody has used yet waits on the invite (`invite.phone`) and
becomes its holder's when they register (`holder_phone`); a used invite's holder gets it at
once. Numbers are E.164 already (`domain.phone.normalise_phone`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.invites import hash_code
from domain.people import Member
from storage.models import Invite, Person
from storage.sms import PhoneTaken, set_phone


@dataclass(frozen=True, slots=True)
class PhoneRow:
    """One line of the file: whose number (an invite's code or a Telegram id) and the number."""

    line: int
    phone: str
    code: str | None = None
    telegram_id: int | None = None


@dataclass
class PhonesApplied:
    """What a file did: numbers set on people now, numbers waiting on unused invites."""

    people: list[Member] = field(default_factory=list)
    waiting: int = 0


class PhonesRefused(ValueError):
    """Some lines cannot be applied (nothing was); one problem per line, in words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


async def apply_phones(session: AsyncSession, rows: list[PhoneRow], now: datetime) -> PhonesApplied:
    """Give every row's number to its person or invite; `PhonesRefused` (and the caller rolls
    back) if any line names nobody, an expired invite, or a number someone else has."""
    problems: list[str] = []
    done = PhonesApplied()
    first_line: dict[str, int] = {}
    for row in rows:
        if row.phone in first_line:
            problems.append(f"line {row.line}: {row.phone} is on line {first_line[row.phone]} too")
            continue
        first_line[row.phone] = row.line
        telegram_id = row.telegram_id
        if row.code is not None:
            stmt = select(Invite).where(Invite.code_hash == hash_code(row.code))
            invite = (await session.execute(stmt)).scalar_one_or_none()
            if invite is None:
                problems.append(f"line {row.line}: no invite has this link")
                continue
            if invite.used_by is None:
                if invite.expires_at <= now:
                    problems.append(f"line {row.line}: the invite expired unused")
                    continue
                taken = await _holder(session, row.phone)
                if taken is not None:
                    problems.append(f"line {row.line}: {row.phone} already belongs to {taken}")
                    continue
                invite.phone = row.phone
                done.waiting += 1
                continue
            holder = await session.get(Person, invite.used_by)
            assert holder is not None
            telegram_id = holder.telegram_id
        assert telegram_id is not None
        try:
            member = await set_phone(session, telegram_id, row.phone)
        except PhoneTaken as exc:
            problems.append(f"line {row.line}: {exc}")
            continue
        if member is None:
            problems.append(f"line {row.line}: nobody is registered with Telegram id {telegram_id}")
            continue
        done.people.append(member)
    if problems:
        raise PhonesRefused(problems)
    return done


async def _holder(session: AsyncSession, phone: str) -> str | None:
    stmt = select(Person.telegram_id).where(Person.phone == phone)
    other = (await session.execute(stmt)).scalar_one_or_none()
    return None if other is None else f"Telegram id {other}"


async def holder_phone(session: AsyncSession, invite: Invite, member: Member) -> Member:
    """On registering with `invite`: the number waiting on it becomes the person's, unless
    they have one already or someone else took it meanwhile."""
    if invite.phone is None or member.phone is not None:
        return member
    try:
        found = await set_phone(session, member.telegram_id, invite.phone)
    except PhoneTaken:
        return member
    return found or member
