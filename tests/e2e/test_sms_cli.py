"""`deskbot people set-phone`: one number per person, however the admin writes it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.roles import Role
from storage import people
from storage.models import AuditLog, Person
from tests.conftest import FakeClock
from tests.e2e.processes import clean_env, run_cli


async def test_an_admin_sets_and_clears_phone_numbers_from_the_command_line(
    db_url: str, sessions: async_sessionmaker[AsyncSession], clock: FakeClock, tmp_path: Path
) -> None:
    async with sessions.begin() as session:
        for telegram_id, name in ((501, "Siti"), (502, "Budi")):
            await people.upsert_member(
                session,
                telegram_id=telegram_id,
                name=name,
                username=None,
                role=Role.TPS,
                scope="3672011001-00" + str(telegram_id - 500),
                language="id",
                now=clock(),
            )
    env = clean_env(DATABASE_URL=db_url)

    async def cli(*args: str) -> tuple[int, str]:
        code, out, err = await run_cli("people", "set-phone", *args, env=env, cwd=tmp_path)
        return code, out + err

    code, out = await cli("501", "0812-3456-7801")
    assert code == 0 and "Siti (tps 3672011001-001): +6281234567801" in out
    code, out = await cli("502", "6281234567801")  # the same number written otherwise
    assert code == 2 and "already belongs to Telegram id 501" in out
    code, out = await cli("502", "TELKOMSEL")
    assert code == 2 and "is not a phone number" in out
    code, out = await cli("999", "081234567899")
    assert code == 1 and "nobody is registered" in out
    assert (await cli("501"))[0] == 2  # neither a number nor --clear
    code, out = await cli("501", "--clear")
    assert code == 0 and "no number" in out
    code, _ = await cli("502", "+62 812 3456 7801")
    assert code == 0
    async with sessions() as session:
        phones = dict((await session.execute(select(Person.telegram_id, Person.phone))).all())
        audits = (await session.execute(select(AuditLog.action))).scalars().all()
    assert phones == {501: None, 502: "+6281234567801"}
    assert audits.count("set_phone") == 3
