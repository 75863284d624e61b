"""`deskbot backup` and `deskbot restore`.

- SQLite: sqlite3's online backup API copies a consistent snapshot page by page while the bot
  keeps running. Restore copies the snapshot back into place the same way, only while no
  `deskbot run` holds the database (its lock file), and over an existing database only with
  `--force`.
- PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore --clean --if-exists
  --single-transaction` (all or nothing), only while no desk bot holds its advisory lock on the
  database, unless `--force`. The password goes to the tools in `PGPASSWORD`, never on the
  command line (where `ps` shows it). The tools come from PATH or `PG_BIN_DIR`; pg_dump must
  be at least the server's major version.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.leader import pg_in_use, sqlite_in_use, sqlite_path


class BackupError(RuntimeError):
    """The backup or restore did not happen; the message says why."""


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = sub.add_parser(
        "backup",
        help="write a consistent backup of the database (safe while the bot runs)",
        description="SQLite: an online copy made with SQLite's backup API. PostgreSQL: "
        "pg_dump in its custom format. Restore with `deskbot restore FILE`.",
    )
    backup.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        help="where to write (default: ./backups/deskbot-<UTC time>.sqlite3 or .dump)",
    )
    restore = sub.add_parser(
        "restore",
        help="put a backup back into DATABASE_URL (stop the bot first)",
        description="SQLite: copy the backup into place. PostgreSQL: pg_restore --clean "
        "--if-exists in one transaction. Refused while a bot runs on the database.",
    )
    restore.add_argument("file", type=Path, help="a file written by `deskbot backup`")
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace an existing SQLite file / restore although a bot holds the database",
    )


def default_out(url: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    suffix = "sqlite3" if make_url(url).get_backend_name() == "sqlite" else "dump"
    return Path("backups") / f"deskbot-{stamp}.{suffix}"


def backup(settings: Settings, out: Path | None = None) -> Path:
    """Write a backup of `DATABASE_URL`; return where it went."""
    url = settings.database_url
    target = out or default_out(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    if make_url(url).get_backend_name() == "sqlite":
        source = _sqlite_file(url)
        if not source.exists():
            raise BackupError(f"no database at {source}")
        _sqlite_copy(source, target)
    else:
        dsn, env = _libpq(url)
        _run(settings, "pg_dump", "--format=custom", f"--file={target}", f"--dbname={dsn}", env=env)
    return target


def restore(settings: Settings, file: Path, *, force: bool = False) -> None:
    """Put `file` back into `DATABASE_URL`, refusing while a bot runs on it."""
    if not file.is_file():
        raise BackupError(f"no such file: {file}")
    url = settings.database_url
    if make_url(url).get_backend_name() == "sqlite":
        target = _sqlite_file(url)
        if sqlite_in_use(target):
            raise BackupError(f"a deskbot is running on {target}; stop it first")
        if target.exists() and not force:
            raise BackupError(f"{target} exists; add --force to replace it with {file}")
        _check_sqlite(file)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(file, target)
        return
    if not force and asyncio.run(pg_in_use(url)):
        raise BackupError("a desk bot is running on this database; stop it (or add --force)")
    dsn, env = _libpq(url)
    _run(
        settings,
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={dsn}",
        str(file),
        env=env,
    )


def _sqlite_file(url: str) -> Path:
    path = sqlite_path(url)
    if path is None:
        raise BackupError("an in-memory SQLite database has nothing to back up or restore")
    return path


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _check_sqlite(file: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()
            tables = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{file} is not a SQLite database ({exc})") from None
    if result != ("ok",) or tables != (1,):
        raise BackupError(f"{file} is not a desk bot backup (or is damaged)")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and an environment that carries it."""
    parsed = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    dsn = parsed.set(password=None, query={}).render_as_string(hide_password=False)
    return dsn, env


def _tool(settings: Settings, name: str) -> str:
    if settings.pg_bin_dir is not None:
        candidate = settings.pg_bin_dir / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client (apt-get install "
            f"postgresql-client) or set PG_BIN_DIR"
        )
    return found


def _run(settings: Settings, name: str, *args: str, env: dict[str, str]) -> None:
    result = subprocess.run(
        [_tool(settings, name), *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{name} failed ({result.returncode}): {result.stderr.strip()}")
