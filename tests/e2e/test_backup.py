"""`deskbot backup` and `deskbot restore` as an operator runs them, on both backends."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sqlalchemy import text

from bot.config import Settings
from bot.leader import leadership_for
from services import utc_now
from storage import people
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from tests.e2e.processes import clean_env, run_cli


async def cli(*args: str, db_url: str, cwd: Path) -> tuple[int, str]:
    env = clean_env(DATABASE_URL=db_url)
    if os.environ.get("DESKBOT_PG_BIN"):
        env["PG_BIN_DIR"] = os.environ["DESKBOT_PG_BIN"]
    code, out, err = await run_cli(*args, env=env, cwd=cwd, wait=120)
    return code, out + err


async def write(db_url: str, *actions: str) -> None:
    engine = create_engine(db_url)
    try:
        await upgrade(engine)
        async with create_sessionmaker(engine).begin() as session:
            for action in actions:
                await people.audit(
                    session, actor_id=None, actor_label="t", action=action, detail={}, now=utc_now()
                )
    finally:
        await engine.dispose()


async def actions(db_url: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT action FROM audit_log ORDER BY id"))
            return [r[0] for r in rows]
    finally:
        await engine.dispose()


async def test_backup_then_restore_brings_the_data_back(db_url: str, tmp_path: Path) -> None:
    await write(db_url, "filed-1", "filed-2")
    out = tmp_path / "snap" / "desk.backup"
    code, said = await cli("backup", "--out", str(out), db_url=db_url, cwd=tmp_path)
    assert code == 0, said
    assert out.is_file() and out.stat().st_size > 0

    await write(db_url, "after-backup")
    engine = create_engine(db_url)
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM audit_log WHERE action = 'filed-1'"))
    await engine.dispose()
    assert await actions(db_url) == ["filed-2", "after-backup"]

    if db_url.startswith("sqlite"):
        code, said = await cli("restore", str(out), db_url=db_url, cwd=tmp_path)
        assert code == 1 and "--force" in said  # an existing database is not overwritten blindly
    code, said = await cli("restore", str(out), "--force", db_url=db_url, cwd=tmp_path)
    assert code == 0, said
    assert await actions(db_url) == ["filed-1", "filed-2"]


async def test_restore_is_refused_while_a_bot_runs_on_the_database(
    db_url: str, tmp_path: Path
) -> None:
    await write(db_url, "x")
    out = tmp_path / "desk.backup"
    assert (await cli("backup", "--out", str(out), db_url=db_url, cwd=tmp_path))[0] == 0
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token="123456:TEST",
        database_url=db_url,
    )
    running_bot = leadership_for(settings)  # what `deskbot run` holds while it runs
    assert await running_bot.acquire(asyncio.Event())
    try:
        code, said = await cli("restore", str(out), db_url=db_url, cwd=tmp_path)
        assert code == 1 and "running" in said, said
    finally:
        await running_bot.release()
    code, said = await cli("restore", str(out), "--force", db_url=db_url, cwd=tmp_path)
    assert code == 0, said


async def test_restore_refuses_a_file_that_is_not_a_backup(db_url: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database")
    code, said = await cli("restore", str(junk), "--force", db_url=db_url, cwd=tmp_path)
    assert code == 1, said


async def test_backup_without_out_writes_under_backups(db_url: str, tmp_path: Path) -> None:
    await write(db_url, "x")
    code, said = await cli("backup", db_url=db_url, cwd=tmp_path)
    assert code == 0, said
    written = list((tmp_path / "backups").iterdir())
    assert len(written) == 1 and written[0].name.startswith("deskbot-")
    assert "PGPASSWORD" not in said
