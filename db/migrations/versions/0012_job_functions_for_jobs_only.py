"""The functions that list due items across tenants may be called by the jobs only.

They run with their owner's rights and return ids of every tenant's due minutes, issues
and written decisions; until now ``portal_app`` could call them, so any request's SQL could
have listed other tenants' ids. Now only ``portal_jobs`` may, a role with no other
privilege that the server switches into to list what is due, then acts for each item's
organisation under row-level security as before.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from db import rls
from db.session import APP_ROLE, JOB_ROLE

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

JOB_FUNCTIONS = (
    "portal_minutes_due_for_tacit_approval(timestamptz)",
    "portal_issues_due_for_escalation(timestamptz)",
    "portal_written_decisions_due(timestamptz)",
)


def upgrade() -> None:
    rls.create_job_role()
    for signature in JOB_FUNCTIONS:
        rls.make_job_function(signature)


def downgrade() -> None:
    for signature in JOB_FUNCTIONS:
        op.execute(f"GRANT EXECUTE ON FUNCTION public.{signature} TO {APP_ROLE}")
        op.execute(f"REVOKE EXECUTE ON FUNCTION public.{signature} FROM {JOB_ROLE}")
