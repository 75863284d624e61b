"""problem lists: `received_at` joins the partial index on current check-ins by kind and severity

The desk page lists floods, blank spots and incidents worst first, then newest. For a province
that sorted every such check-in after reading each row from the table (about 20 ms for Jawa
Barat's 11,000 blank spots); with `received_at` in the index the pick reads the index alone.

Revision ID: 0013_problem_lists
Revises: 0012_invite_phone
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_problem_lists"
down_revision: str | None = "0012_invite_phone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_checkin_current_kind_severity"
BEFORE = ["kind", "severity", "district_code", "is_current"]


def _create(columns: list[str]) -> None:
    op.create_index(
        NAME,
        "checkin",
        columns,
        unique=False,
        postgresql_where=sa.text("is_current"),
        sqlite_where=sa.text("is_current"),
    )


def upgrade() -> None:
    op.drop_index(NAME, table_name="checkin")
    _create([*BEFORE, "received_at"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="checkin")
    _create(BEFORE)
