"""bots: a desk has one or more Telegram bots; people, groups and owed calls belong to one

`desk_bot` lists the bots (Telegram's id; the token of one added with `deskbot bots add`),
`bot_region` the regencies an admin pinned to a bot. `person.bot_id`, `desk_group.bot_id`,
`outbox_message.bot_id`, `broadcast_delivery.bot_id`, `album_part.bot_id` and
`registration_request.bot_id` say which bot writes to that chat (or heard it); NULL (every
row before this revision) means the desk's first bot.

Revision ID: 0014_bots
Revises: 0013_problem_lists
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision: str = "0014_bots"
down_revision: str | None = "0013_problem_lists"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOUND = (
    "person",
    "desk_group",
    "outbox_message",
    "broadcast_delivery",
    "album_part",
    "registration_request",
)


def upgrade() -> None:
    op.create_table(
        "desk_bot",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=100), nullable=True),
        sa.Column("added_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_bot")),
    )
    op.create_table(
        "bot_region",
        sa.Column("regency_code", sa.String(length=4), nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bot_id"],
            ["desk_bot.id"],
            name=op.f("fk_bot_region_bot_id_desk_bot"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("regency_code", name=op.f("pk_bot_region")),
    )
    for table in BOUND:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("bot_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for table in reversed(BOUND):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("bot_id")
    op.drop_table("bot_region")
    op.drop_table("desk_bot")
