"""open incidents: a partial index on current incidents by district, carrying their payload

A digest counts the open incidents per district, and whether one is resolved lives in its
payload. Through `ix_checkin_current_kind_severity` that read each incident's row from the
table: about 100 ms for a nation's 16,000 incidents on PostgreSQL, more than every other count
of the digest together. This index holds only current incidents, with the payload beside the
district (PostgreSQL's INCLUDE), so the count reads the index alone (about 10 ms). SQLite has
no INCLUDE; there the index is a small one on the district.

Revision ID: 0015_open_incidents
Revises: 0014_bots
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_open_incidents"
down_revision: str | None = "0014_bots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_checkin_current_incident"
WHERE = "is_current AND kind = 'kejadian'"


def upgrade() -> None:
    op.create_index(
        NAME,
        "checkin",
        ["district_code"],
        unique=False,
        postgresql_include=["payload"],
        postgresql_where=sa.text(WHERE),
        sqlite_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index(NAME, table_name="checkin")
