"""topics and albums: a desk group's forum topics; photos of an album waiting to be filed

Revision ID: 0011_topics
Revises: 0007_web
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0011_topics"
down_revision: str | None = "0007_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("desk_group") as batch:
        batch.add_column(sa.Column("thread_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("alert_thread_id", sa.BigInteger(), nullable=True))
    op.create_table(
        "album_part",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("media_group_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_album_part")),
        sa.UniqueConstraint("telegram_id", "media_group_id", "message_id", name="uq_album_part"),
    )
    op.create_index("ix_album_part_received_at", "album_part", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_album_part_received_at", table_name="album_part")
    op.drop_table("album_part")
    with op.batch_alter_table("desk_group") as batch:
        batch.drop_column("alert_thread_id")
        batch.drop_column("thread_id")
