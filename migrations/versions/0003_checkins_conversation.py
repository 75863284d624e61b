"""guided check-in conversations

Revision ID: 0003_checkins_conversation
Revises: 0002_checkins
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0003_checkins_conversation"
down_revision: str | None = "0002_checkins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("draft", sa.String(length=16), nullable=False),
        sa.Column("flow", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("tps_id", sa.String(length=14), nullable=True),
        sa.Column("relayed", sa.Boolean(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("last_message_id", sa.Integer(), nullable=False),
        sa.Column("started_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("telegram_id", name=op.f("pk_conversation")),
    )
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_updated_at")
    op.drop_table("conversation")
