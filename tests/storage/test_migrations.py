"""The migrations build exactly the tables the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Base


async def test_the_migrated_schema_is_the_models_schema(engine: AsyncEngine) -> None:
    """`alembic revision --autogenerate` would find nothing to do: no table, column, index
    or constraint the models have and the migrations lack (or the other way round)."""
    async with engine.connect() as conn:
        differences = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    assert differences == []
