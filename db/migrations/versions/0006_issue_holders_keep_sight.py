"""Committees that have held an issue keep seeing it after it moves up.

Without this, a chair escalating an issue whose audience does not include its organisation
loses sight of the row mid-update, and PostgreSQL refuses the escalation; the scheduled job,
acting for that chair, was refused the same way.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

from db import rls

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ME = rls.CURRENT_ORGANISATION
MINE = rls.MEMBER_ALLIANCES
SEATED = rls.SEATED_COMMITTEES
HELD = "((SELECT public.portal_issues_held_by_my_committees())::uuid[])"


def _issue_policies(*also: str) -> None:
    audience = rls.visible_to_audience(
        f"raised_by_organisation_id = {ME}", f"holding_committee_id = ANY {SEATED}", *also
    )
    op.execute("DROP POLICY issues_audience ON public.issues")
    op.execute("DROP POLICY issues_move ON public.issues")
    rls.policy("issues", "audience", "SELECT", using=audience)
    rls.policy("issues", "move", "UPDATE", using=audience, check=f"alliance_id = ANY {MINE}")


def upgrade() -> None:
    rls.let_definer_read("issue_moves")
    rls.create_definer_function(
        "portal_issues_held_by_my_committees()",
        "uuid[]",
        f"""SELECT coalesce(array_agg(DISTINCT issue_id), '{{}}') FROM public.issue_moves
            WHERE alliance_id = ANY {MINE}
              AND (to_committee_id = ANY {SEATED} OR from_committee_id = ANY {SEATED})""",
    )
    _issue_policies(f"id = ANY {HELD}")


def downgrade() -> None:
    _issue_policies()
    op.execute("DROP FUNCTION public.portal_issues_held_by_my_committees()")
    op.execute("DROP POLICY issue_moves_definer_read ON public.issue_moves")
    op.execute(f"REVOKE SELECT ON public.issue_moves FROM {rls.DEFINER_ROLE}")
