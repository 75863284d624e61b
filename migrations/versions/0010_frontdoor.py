"""frontdoor: revoked people, retired TPS and the record of which TPS list is loaded

Revision ID: 0010_frontdoor
Revises: 0009_rehearsal
Create Date: 2026-11-29 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0010_frontdoor"
down_revision: str | None = "0009_rehearsal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revoked_at", storage.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("tps", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retired_at", storage.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "tps_list",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(length=14), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("loaded_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tps", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tps_list")),
    )
    op.create_index(op.f("ix_tps_list_region_code"), "tps_list", ["region_code"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tps_list_region_code"), table_name="tps_list")
    op.drop_table("tps_list")
    with op.batch_alter_table("tps", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
