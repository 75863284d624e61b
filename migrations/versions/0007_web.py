"""web: the desk page's one-time sign-in links and browser sessions

Revision ID: 0007_web
Revises: 0008_sms
Create Date: 2026-11-29 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0007_web"
down_revision: str | None = "0008_sms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_login",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_web_login_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_login")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_login_token_hash")),
    )
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_web_session_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_session_token_hash")),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index("ix_web_session_person_id", ["person_id"], unique=False)
    with op.batch_alter_table("broadcast_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_broadcast_delivery_acked_at", ["acked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("broadcast_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_broadcast_delivery_acked_at")
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index("ix_web_session_person_id")
    op.drop_table("web_session")
    op.drop_table("web_login")
