"""The audit chain gets an anchor: each entry is signed, and each organisation's head is kept.

``audit_entries.entry_mac`` is the HMAC of the entry's hash under the portal's audit key,
so an entry inserted by hand is detected; ``audit_heads`` keeps, per organisation, the
newest entry, the number of entries and the portal's signature over them, so removing the
newest entries is detected too (the hash chain alone only detects a gap or an edit).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from db import rls

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ME = rls.CURRENT_ORGANISATION


def upgrade() -> None:
    op.add_column("audit_entries", sa.Column("entry_mac", sa.LargeBinary(), nullable=True))
    op.create_table(
        "audit_heads",
        sa.Column(
            "organisation_id",
            pg.UUID(as_uuid=True),
            sa.ForeignKey("organisations.id"),
            primary_key=True,
        ),
        sa.Column("last_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.LargeBinary(), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
    )
    # the head moves with the chain: the organisation acting writes its own, never deletes
    rls.protect("audit_heads", ["SELECT", "INSERT", "UPDATE"])
    rls.policy("audit_heads", "own", "ALL", using=f"organisation_id = {ME}")


def downgrade() -> None:
    op.drop_table("audit_heads")
    op.drop_column("audit_entries", "entry_mac")
