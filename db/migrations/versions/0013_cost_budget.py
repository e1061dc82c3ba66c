"""What each organisation and credential spent of its query-cost budget, per minute.

An unlogged table: losing it in a crash only forgets the current minute's spending. Row-level
security keeps each organisation to its own rows.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from db import rls

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cost_spent",
        sa.Column(
            "organisation_id",
            pg.UUID(as_uuid=True),
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("subject", sa.String(64), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        prefixes=["UNLOGGED"],
    )
    rls.protect("cost_spent", ["SELECT", "INSERT", "UPDATE", "DELETE"])
    rls.policy("cost_spent", "own", "ALL", using=f"organisation_id = {rls.CURRENT_ORGANISATION}")


def downgrade() -> None:
    op.drop_table("cost_spent")
