"""Apply Alembic migrations programmatically (`deskbot run` does this before starting)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """Alembic's configuration for this project's migrations (imported when first needed:
    Alembic and its templates cost 0.12 s, which `deskbot --help` need not pay)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# Any constant: two instances starting at once on one PostgreSQL database take turns.
MIGRATION_LOCK_KEY = 0x6465736B_6D696772  # "deskmigr"


async def upgrade(engine: AsyncEngine) -> bool:
    """Bring the database to the newest revision, on an existing engine; True if it changed
    (then one INFO line says from which revision to which)."""
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        before, after = await connection.run_sync(_upgrade_sync)
    if before != after:
        log.info("database migrated from %s to %s", before or "empty", after)
    return before != after


def _upgrade_sync(connection: Connection) -> tuple[str | None, str | None]:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    config = alembic_config()
    config.attributes["connection"] = connection
    before = MigrationContext.configure(connection).get_current_revision()
    command.upgrade(config, "head")
    return before, MigrationContext.configure(connection).get_current_revision()
