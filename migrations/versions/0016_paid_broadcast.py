"""paid broadcast: a broadcast may go out paid (`allow_paid_broadcast`, 0.1 Star a message)

`broadcast.paid`: its sender chose the paid pace; `broadcast.stars_out_at`: when the bot's Stars
ran out mid-way (the rest went at the free pace); `broadcast_delivery.paid`: this message went
out paid (the count the fee was drawn for).

Revision ID: 0016_paid_broadcast
Revises: 0015_open_incidents
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0016_paid_broadcast"
down_revision: str | None = "0015_open_incidents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("broadcast") as batch:
        batch.add_column(sa.Column("paid", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(
            sa.Column("stars_out_at", storage.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("broadcast_delivery") as batch:
        batch.add_column(sa.Column("paid", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("broadcast_delivery") as batch:
        batch.drop_column("paid")
    with op.batch_alter_table("broadcast") as batch:
        batch.drop_column("stars_out_at")
        batch.drop_column("paid")
