"""An audience listed by organisation can be narrowed as well as widened: the app role may
delete visibility grants (within its alliances, as the existing policy says).

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


def upgrade() -> None:
    op.execute(f"GRANT DELETE ON public.visibility_grants TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"REVOKE DELETE ON public.visibility_grants FROM {APP_ROLE}")
