"""rehearsal: rehearsals, the help officers needed, and `rehearsal_id` on the rows they cause

Revision ID: 0009_rehearsal
Revises: 0006_outbox
Create Date: 2026-11-29 09:00:00.000000

The `checkin_count` triggers are left as they are: a rehearsal's check-ins are never
`is_current`, and the triggers count only current rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0009_rehearsal"
down_revision: str | None = "0006_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("checkin", "slot", "broadcast")


def upgrade() -> None:
    op.create_table(
        "rehearsal",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reported_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["started_by"], ["person.id"], name=op.f("fk_rehearsal_started_by_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rehearsal")),
    )
    op.create_index(
        "ux_rehearsal_running",
        "rehearsal",
        ["status"],
        unique=True,
        postgresql_where=sa.text("status = 'running'"),
        sqlite_where=sa.text("status = 'running'"),
    )
    op.create_table(
        "rehearsal_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rehearsal_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_rehearsal_event_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["rehearsal_id"],
            ["rehearsal.id"],
            name=op.f("fk_rehearsal_event_rehearsal_id_rehearsal"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rehearsal_event")),
    )
    op.create_index(
        op.f("ix_rehearsal_event_rehearsal_id"), "rehearsal_event", ["rehearsal_id"], unique=False
    )
    # A plain ADD COLUMN on both backends: no table rebuild on SQLite, so the check-in
    # counter's triggers and every existing row stay untouched.
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in _TABLES:
        if sqlite:  # SQLite adds a column with an inline reference, but no named constraint
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN rehearsal_id INTEGER REFERENCES rehearsal (id)"
            )
            continue
        op.add_column(table, sa.Column("rehearsal_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            f"fk_{table}_rehearsal_id_rehearsal", table, "rehearsal", ["rehearsal_id"], ["id"]
        )
    op.create_index("ix_checkin_rehearsal_id", "checkin", ["rehearsal_id"], unique=False)
    op.create_index("ix_slot_rehearsal_id", "slot", ["rehearsal_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_slot_rehearsal_id", table_name="slot")
    op.drop_index("ix_checkin_rehearsal_id", table_name="checkin")
    for table in _TABLES:
        if op.get_bind().dialect.name == "postgresql":
            op.drop_constraint(f"fk_{table}_rehearsal_id_rehearsal", table, type_="foreignkey")
        op.drop_column(table, "rehearsal_id")
    op.drop_index(op.f("ix_rehearsal_event_rehearsal_id"), table_name="rehearsal_event")
    op.drop_table("rehearsal_event")
    op.drop_index("ux_rehearsal_running", table_name="rehearsal")
    op.drop_table("rehearsal")
