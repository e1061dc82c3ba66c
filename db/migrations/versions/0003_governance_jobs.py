"""Governance, continued: representatives' names for fellow members, and the cross-tenant
look-ups of the scheduled jobs (tacit approval of minutes, escalation of overdue issues).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

from db import rls

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A seat's named representatives are visible to the alliance, not only their employer.
    rls.policy(
        "users",
        "representatives",
        "SELECT",
        using="id IN (SELECT user_id FROM public.seat_representatives)",
    )
    for table in ("meetings", "governance_rules"):
        rls.let_definer_read(table)
    # Jobs act for an organisation of the committee concerned: for minutes the secretary
    # (who circulated them), for issues the holding committee's chair; each falls back to
    # another seat holder so that an unstaffed role never stalls the procedure.
    rls.create_definer_function(
        "portal_minutes_due_for_tacit_approval(at timestamptz)",
        "TABLE (minutes_id uuid, alliance_id uuid, organisation_id uuid)",
        """SELECT m.id, m.alliance_id,
                  (SELECT s.organisation_id FROM public.seats s
                   WHERE s.committee_id = m.committee_id
                   ORDER BY s.role = 'secretary' DESC, s.role = 'chair' DESC, s.created_at
                   LIMIT 1)
           FROM public.minutes m
           WHERE m.status = 'circulated' AND m.objection_deadline <= at""",
    )
    rls.create_definer_function(
        "portal_issues_due_for_escalation(at timestamptz)",
        "TABLE (issue_id uuid, alliance_id uuid, organisation_id uuid)",
        """SELECT i.id, i.alliance_id,
                  (SELECT s.organisation_id FROM public.seats s
                   WHERE s.committee_id = i.holding_committee_id
                   ORDER BY s.role = 'chair' DESC, s.role = 'secretary' DESC, s.created_at
                   LIMIT 1)
           FROM public.issues i JOIN public.committees c ON c.id = i.holding_committee_id
           WHERE i.status = 'open' AND i.due_at <= at AND c.parent_id IS NOT NULL""",
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION public.portal_issues_due_for_escalation(timestamptz)")
    op.execute("DROP FUNCTION public.portal_minutes_due_for_tacit_approval(timestamptz)")
    for table in ("governance_rules", "meetings"):
        op.execute(f"DROP POLICY {table}_definer_read ON public.{table}")
        op.execute(f"REVOKE SELECT ON public.{table} FROM {rls.DEFINER_ROLE}")
    op.execute("DROP POLICY users_representatives ON public.users")
