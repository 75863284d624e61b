"""`deskbot people set-phone`: one number per person, however the admin writes it."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.roles import Role
from storage import people, regions
from storage.models import AuditLog, Invite, Person
from tests.conftest import FakeClock, kpu_data
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
    assert (await cli("#999", "081234567899"))[0] == 1
    assert (await cli("siti", "081234567899"))[0] == 2
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
    # The number `deskbot people list` shows works as well as the Telegram id.
    code, listed, _ = await run_cli("people", "list", "--scope", "all", env=env, cwd=tmp_path)
    assert code == 0 and "Budi" in listed and "SMS from +6281234567801" in listed, listed
    siti = next(line for line in listed.splitlines() if "Siti" in line).split()[0]  # "#1"
    code, out = await cli(siti, "0812 3456 7809")
    assert code == 0 and "Siti (tps 3672011001-001): +6281234567809" in out, out
    assert (await cli(siti.removeprefix("#"), "--clear"))[0] == 0


async def test_numbers_from_the_invite_csv_all_or_nothing(
    db_url: str, sessions: async_sessionmaker[AsyncSession], clock: FakeClock, tmp_path: Path
) -> None:
    async with sessions.begin() as session:
        await regions.import_masterdata(session, kpu_data(regencies=("3672",)))
    env = clean_env(DATABASE_URL=db_url)
    invites = tmp_path / "cibeber.csv"
    code, _, err = await run_cli(
        "invite", "--role", "tps", "--scope", "3672011001", "--out", str(invites),
        "--bot-username", "desk_bot", env=env, cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    with invites.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["phone"] == ""  # the column the desk fills in
    # The first TPS's officer registered already (with the invite on line 2).
    first = rows[0]["link"].split("start=")[1]
    async with sessions.begin() as session:
        siti = await people.upsert_member(
            session, telegram_id=501, name="Siti", username=None, role=Role.TPS,
            scope=rows[0]["tps"], language="id", now=clock(),
        )  # fmt: skip
        invite, _ = await people.find_invite(session, first, clock())
        assert invite is not None
        await people.mark_invite_used(session, invite.id, siti.id, clock())

    def write(phones: dict[int, str]) -> None:
        for n, row in enumerate(rows):
            row["phone"] = phones.get(n, "")
        with invites.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    async def apply() -> tuple[int, str]:
        code, out, err = await run_cli("people", "phones", str(invites), env=env, cwd=tmp_path)
        return code, out + err

    write({0: "0812-3456-7801", 1: "0812 3456 7802", 2: "halo", 3: "+6281234567802"})
    code, said = await apply()
    assert code == 2 and "nothing changed" in said
    assert "line 4: " in said and "line 5: +6281234567802 is on line 3 too" in said
    write({0: "0812-3456-7801", 1: "0812 3456 7802", 2: "62812-3456-7803"})
    code, said = await apply()
    assert code == 0, said
    assert "1 number(s) given to registered people, 2 kept on unused invites" in said
    async with sessions() as session:
        phones = dict((await session.execute(select(Person.telegram_id, Person.phone))).all())
        waiting = await session.execute(select(Invite.phone).where(Invite.phone.is_not(None)))
        audits = (await session.execute(select(AuditLog.action))).scalars().all()
    assert phones == {501: "+6281234567801"}
    assert sorted(waiting.scalars()) == ["+6281234567802", "+6281234567803"]
    assert audits.count("set_phones") == 1
