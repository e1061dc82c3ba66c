"""Written procedures close at their deadline: the job finds them across tenants.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

from db import rls

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rls.let_definer_read("decisions")
    # The job acts for the committee's chair, who would close the decision by hand.
    rls.create_definer_function(
        "portal_written_decisions_due(at timestamptz)",
        "TABLE (decision_id uuid, alliance_id uuid, organisation_id uuid)",
        """SELECT d.id, d.alliance_id,
                  (SELECT s.organisation_id FROM public.seats s
                   WHERE s.committee_id = d.committee_id
                   ORDER BY s.role = 'chair' DESC, s.role = 'secretary' DESC, s.created_at
                   LIMIT 1)
           FROM public.decisions d
           WHERE d.status = 'open' AND d.procedure = 'written' AND d.closes_at <= at""",
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION public.portal_written_decisions_due(timestamptz)")
    op.execute("DROP POLICY decisions_definer_read ON public.decisions")
    op.execute(f"REVOKE SELECT ON public.decisions FROM {rls.DEFINER_ROLE}")
