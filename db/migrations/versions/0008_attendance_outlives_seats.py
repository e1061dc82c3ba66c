"""Attendance outlives the seat it was recorded for: it names the organisation, and a
seat given up (an organisation leaving the alliance) leaves the record in place.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("attendances", sa.Column("organisation_id", pg.UUID(as_uuid=True)))
    op.execute(
        "UPDATE attendances a SET organisation_id = s.organisation_id FROM seats s"
        " WHERE s.id = a.seat_id"
    )
    op.alter_column("attendances", "organisation_id", nullable=False)
    op.create_foreign_key(
        "fk_attendances_organisation_id_organisations",
        "attendances",
        "organisations",
        ["organisation_id"],
        ["id"],
    )
    op.drop_constraint("fk_attendances_seat_id_seats", "attendances", type_="foreignkey")
    op.alter_column("attendances", "seat_id", nullable=True)
    op.create_foreign_key(
        "fk_attendances_seat_id_seats",
        "attendances",
        "seats",
        ["seat_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint("fk_attendances_seat_id_seats", "attendances", type_="foreignkey")
    op.execute("DELETE FROM attendances WHERE seat_id IS NULL")
    op.alter_column("attendances", "seat_id", nullable=False)
    op.create_foreign_key(
        "fk_attendances_seat_id_seats",
        "attendances",
        "seats",
        ["seat_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.drop_constraint(
        "fk_attendances_organisation_id_organisations", "attendances", type_="foreignkey"
    )
    op.drop_column("attendances", "organisation_id")
