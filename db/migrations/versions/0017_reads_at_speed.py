"""Reads at the speed of PostgreSQL: policies the planner evaluates per row by index, the
indexes every list filters and orders by, a one-statement request start, and the JSON
formatting helpers of the compiled read path.

A policy written ``x IN (SELECT id FROM <table>)`` makes PostgreSQL build the set of every
visible row of ``<table>`` (itself behind a policy) before it can answer for one row: the
valuations of 100 contributions paid for every contribution an organisation can see. As a
correlated ``EXISTS`` the same rule is one primary-key probe per row, still through the
other table's policy.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Callable

from alembic import op

from db import rls
from db.session import APP_ROLE, SERVER_ROLE

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ME = rls.CURRENT_ORGANISATION
MEMBER = f"alliance_id = ANY {rls.MEMBER_ALLIANCES}"
STEERING = "((SELECT public.portal_steering_alliances())::uuid[])"


def _visible(table: str, column: str) -> str:
    return f"EXISTS (SELECT 1 FROM public.{table} v WHERE v.id = {column})"


def _in(table: str, column: str) -> str:
    return f"{column} IN (SELECT id FROM public.{table})"


Parent = Callable[[str, str], str]
"""How a policy says "the row's parent is visible": ``parent(table, column)``."""


def _policies(parent: Parent) -> dict[str, str]:
    """The read policies that follow a parent row: ``"table.policy": using``."""
    plan = parent("plans", "plan_id")
    contribution = parent("contributions", "contribution_id")
    minutes = parent("minutes", "minutes_id")
    return {
        "plan_versions.with_plan": plan,
        "milestones.read": f"{MEMBER} AND {plan}",
        "contribution_valuations.confidential": (
            f"(organisation_id = {ME} OR alliance_id = ANY {STEERING}) AND {contribution}"
        ),
        "contribution_steps.with_contribution": contribution,
        "minutes_versions.with_minutes": minutes,
        "signatures.with_minutes": minutes,
        "issue_moves.with_issue": parent("issues", "issue_id"),
    }


def _replace_policies(parent: Parent) -> None:
    for name, using in _policies(parent).items():
        table, policy = name.split(".")
        op.execute(f"DROP POLICY {table}_{policy} ON public.{table}")
        rls.policy(table, policy, "SELECT", using=using)


# (name, table, columns): every list's filter then its order, ending in the unique key
INDEXES = [
    ("ix_contributions_plan_created", "contributions", "plan_id, created_at, id"),
    ("ix_contributions_alliance_created", "contributions", "alliance_id, created_at, id"),
    (
        "ix_contributions_alliance_kind_created",
        "contributions",
        "alliance_id, kind, created_at, id",
    ),
    ("ix_contributions_organisation_created", "contributions", "organisation_id, created_at, id"),
    ("ix_plans_alliance_updated", "plans", "alliance_id, updated_at, id"),
    ("ix_contribution_steps_contribution_at", "contribution_steps", "contribution_id, at, id"),
    ("ix_decisions_meeting_created", "decisions", "meeting_id, created_at, id"),
    ("ix_action_items_meeting", "action_items", "meeting_id, due_on, id"),
    ("ix_contributions_created", "contributions", "created_at, id"),
    (
        "ix_action_items_owner_due",
        "action_items",
        "owner_organisation_id, status, due_on, id",
    ),
    # what every visibility policy asks first: the transaction's seats and granted objects
    ("ix_seats_organisation", "seats", "organisation_id, alliance_id, committee_id"),
    (
        "ix_visibility_grants_organisation",
        "visibility_grants",
        "organisation_id, alliance_id, object_id",
    ),
]


def upgrade() -> None:
    _replace_policies(_visible)
    # Organisations: yours and those sharing an alliance with you, by one index probe into
    # the (policy-filtered) memberships rather than the set of every visible membership.
    op.execute("DROP POLICY organisations_read ON public.organisations")
    rls.policy(
        "organisations",
        "read",
        "SELECT",
        using=f"id = {ME} OR EXISTS (SELECT 1 FROM public.memberships m"
        " WHERE m.organisation_id = organisations.id)",
    )
    for name, table, columns in INDEXES:
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON public.{table} ({columns})")
    # the decisions still taking votes, by committee: the pending votes across alliances
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_decisions_open_committee ON public.decisions"
        " (committee_id) WHERE status = 'open'"
    )

    # The request start: one statement finds the credential and switches the transaction
    # into the application role and the credential's organisation, so the server's login
    # role (which has no privilege of its own) may call the two lookups.
    rls.create_definer_function(
        "portal_signed_in_role(organisation uuid, person uuid, grant_id uuid)",
        "text",
        """SELECT u.role::text FROM public.users u
             JOIN public.oauth_grants g ON g.user_id = u.id
             JOIN public.oauth_clients c ON c.id = g.client_id
            WHERE u.id = person AND u.organisation_id = organisation AND u.status = 'active'
              AND g.id = grant_id AND g.organisation_id = organisation
              AND g.revoked_at IS NULL AND c.suspended_at IS NULL AND c.revoked_at IS NULL""",
    )
    for table in ("oauth_grants", "oauth_clients"):
        rls.let_definer_read(table)
    for signature in (
        "portal_api_token_by_hash(bytea)",
        "portal_signed_in_role(uuid, uuid, uuid)",
    ):
        op.execute(f"GRANT EXECUTE ON FUNCTION public.{signature} TO {SERVER_ROLE}")

    # JSON as strawberry writes it, for statements that build the response themselves:
    # datetime.isoformat() of a UTC instant (no fraction when it is zero) and Relay ids.
    op.execute(
        """
        CREATE FUNCTION public.portal_json_datetime(value timestamptz) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT to_char(value AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
                  || CASE WHEN date_part('microseconds', value)::int % 1000000 = 0 THEN ''
                          ELSE to_char(value AT TIME ZONE 'UTC', '.US') END
                  || '+00:00' $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION public.portal_global_id(type_name text, id uuid) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT translate(encode(convert_to(type_name || ':' || id::text, 'UTF8'),
                                      'base64'), E'\\n', '') $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION public.portal_cursor(parts text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT rtrim(translate(encode(convert_to(parts, 'UTF8'), 'base64'),
                                     E'+/\\n', '-_'), '=') $$
        """
    )
    for function in (
        "portal_json_datetime(timestamptz)",
        "portal_global_id(text, uuid)",
        "portal_cursor(text)",
    ):
        op.execute(f"REVOKE ALL ON FUNCTION public.{function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION public.{function} TO {APP_ROLE}")


def downgrade() -> None:
    for function in (
        "portal_cursor(text)",
        "portal_global_id(text, uuid)",
        "portal_json_datetime(timestamptz)",
    ):
        op.execute(f"DROP FUNCTION public.{function}")
    for table in ("oauth_grants", "oauth_clients"):
        op.execute(f"DROP POLICY {table}_definer_read ON public.{table}")
        op.execute(f"REVOKE SELECT ON public.{table} FROM {rls.DEFINER_ROLE}")
    lookup = "public.portal_api_token_by_hash(bytea)"
    op.execute(f"REVOKE EXECUTE ON FUNCTION {lookup} FROM {SERVER_ROLE}")
    op.execute("DROP FUNCTION public.portal_signed_in_role(uuid, uuid, uuid)")
    op.execute("DROP INDEX IF EXISTS public.ix_decisions_open_committee")
    for name, _table, _columns in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS public.{name}")
    op.execute("DROP POLICY organisations_read ON public.organisations")
    rls.policy(
        "organisations",
        "read",
        "SELECT",
        using=f"id = {ME} OR id IN (SELECT organisation_id FROM public.memberships)",
    )
    _replace_policies(_in)
