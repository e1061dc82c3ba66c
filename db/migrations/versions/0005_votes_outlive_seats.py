"""A vote outlives the seat it was cast through: an organisation that leaves an alliance
gives up its seats, but the record of how it voted stays.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("fk_votes_seat_id_seats", "votes", type_="foreignkey")
    op.alter_column("votes", "seat_id", nullable=True)
    op.create_foreign_key(
        "fk_votes_seat_id_seats", "votes", "seats", ["seat_id"], ["id"], ondelete="SET NULL"
    )


def downgrade() -> None:
    op.drop_constraint("fk_votes_seat_id_seats", "votes", type_="foreignkey")
    op.execute("DELETE FROM votes WHERE seat_id IS NULL")
    op.alter_column("votes", "seat_id", nullable=False)
    op.create_foreign_key("fk_votes_seat_id_seats", "votes", "seats", ["seat_id"], ["id"])
