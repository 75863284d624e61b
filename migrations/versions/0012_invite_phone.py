"""invite phone: the number an admin gave an invite's future holder (the invite CSV's column)

Revision ID: 0012_invite_phone
Revises: 0011_topics
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_invite_phone"
down_revision: str | None = "0011_topics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invite") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invite") as batch:
        batch.drop_column("phone")
