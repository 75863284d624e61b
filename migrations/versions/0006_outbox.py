"""outbox: the durable inbox of updates and outbox of Bot API calls; slot_delivery folds in

Revision ID: 0006_outbox
Revises: 0005_broadcast
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0006_outbox"
down_revision: str | None = "0005_broadcast"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox_update",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("handled_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_update")),
        sa.UniqueConstraint("bot_id", "update_id", name="uq_inbox_update_bot_id_update_id"),
    )
    op.create_index(
        "ix_inbox_update_pending",
        "inbox_update",
        ["bot_id", "update_id"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=120), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("file_field", sa.String(length=16), nullable=True),
        sa.Column("file_name", sa.String(length=120), nullable=True),
        sa.Column("file_data", sa.LargeBinary(), nullable=True),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("proactive", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("not_before", UTC, nullable=True),
        sa.Column("useful_until", UTC, nullable=False),
        sa.Column("claimed_at", UTC, nullable=True),
        sa.Column("finished_at", UTC, nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["slot.id"], name=op.f("fk_outbox_message_slot_id_slot")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_message_key")),
    )
    op.create_index(
        "ix_outbox_message_due",
        "outbox_message",
        ["priority", "id"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_outbox_message_slot_id", "outbox_message", ["slot_id"])
    op.create_index("ix_outbox_message_status", "outbox_message", ["status"])
    # What was claimed in slot_delivery was sent or given up on; the outbox takes over from here.
    op.drop_table("slot_delivery")


def downgrade() -> None:
    op.create_table(
        "slot_delivery",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("claimed_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["slot.id"], name=op.f("fk_slot_delivery_slot_id_slot")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slot_delivery")),
        sa.UniqueConstraint("slot_id", "chat_id", "part", name="uq_slot_delivery_slot_chat_part"),
    )
    op.drop_index("ix_outbox_message_status", table_name="outbox_message")
    op.drop_index("ix_outbox_message_slot_id", table_name="outbox_message")
    op.drop_index("ix_outbox_message_due", table_name="outbox_message")
    op.drop_table("outbox_message")
    op.drop_index("ix_inbox_update_pending", table_name="inbox_update")
    op.drop_table("inbox_update")
