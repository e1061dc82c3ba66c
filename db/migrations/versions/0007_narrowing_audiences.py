"""Things that must be removable are: an audience listed by organisation can be narrowed
(visibility grants) and an agenda item can be taken off the agenda before its deadline.
The existing member policies already bound both to the caller's alliances.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

from db.session import APP_ROLE

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


TABLES = ("visibility_grants", "agenda_items")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"GRANT DELETE ON public.{table} TO {APP_ROLE}")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"REVOKE DELETE ON public.{table} FROM {APP_ROLE}")
