"""The principal's alliances, seats and grants, read once per transaction.

Every visibility policy asks the definer functions which alliances the organisation is a
member of, which committees it holds seats on and which objects were shown to it. As SQL
functions with their own settings they cannot be inlined, so PostgreSQL planned and ran
their query at every table reference of every statement (about 0.07 ms each; a page's
statement made ten to twenty of them, and their ``organisation_id = <setting>`` filter was
evaluated row by row instead of by index).

Each function now keeps its answer in a transaction-local setting, tagged with the
organisation it was computed for, and recomputes it when the tag is another organisation's
(``set_tenant`` mid-transaction) or when the transaction itself wrote one of the tables the
answers come from (statement triggers forget them). A transaction so sees the principal as
it was when it first asked, plus its own changes: what another transaction commits
meanwhile is seen by the next request. The settings are no new trust: whoever can run SQL
as the application role can already set the organisation itself.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

from db import rls

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

ME = "(SELECT public.portal_current_organisation())"
MEMBER = rls.MEMBER_ALLIANCES
SEATED = rls.SEATED_COMMITTEES

ANSWERS = {
    "portal_member_alliances": f"""SELECT coalesce(array_agg(alliance_id), '{{}}')
        FROM public.memberships WHERE organisation_id = {ME} AND left_at IS NULL""",
    "portal_seated_committees": f"""SELECT coalesce(array_agg(committee_id), '{{}}')
        FROM public.seats WHERE organisation_id = {ME} AND alliance_id = ANY {MEMBER}""",
    "portal_granted_objects": f"""SELECT coalesce(array_agg(object_id), '{{}}')
        FROM public.visibility_grants
        WHERE organisation_id = {ME} AND alliance_id = ANY {MEMBER}""",
    "portal_steering_alliances": f"""SELECT coalesce(array_agg(s.alliance_id), '{{}}')
        FROM public.seats s JOIN public.committees c ON c.id = s.committee_id
        WHERE s.organisation_id = {ME} AND c.tier = 'strategic'
          AND s.alliance_id = ANY {MEMBER}""",
    "portal_owned_ip_assets": f"""SELECT coalesce(array_agg(ip_asset_id), '{{}}')
        FROM public.ip_asset_owners
        WHERE organisation_id = {ME} AND alliance_id = ANY {MEMBER}""",
    "portal_issues_held_by_my_committees": f"""SELECT coalesce(array_agg(DISTINCT issue_id),
        '{{}}') FROM public.issue_moves WHERE alliance_id = ANY {MEMBER}
          AND (to_committee_id = ANY {SEATED} OR from_committee_id = ANY {SEATED})""",
}
"""Each function's query, as 0001-0006 wrote it (the organisation now read once)."""

SOURCES = (
    "memberships",
    "seats",
    "committees",
    "visibility_grants",
    "ip_asset_owners",
    "issue_moves",
)
"""The tables the answers are read from: a write to one makes a transaction forget them."""


def _setting(function: str) -> str:
    return "portal.principal_" + function.removeprefix("portal_")


def _kept(function: str, query: str) -> str:
    """The plpgsql body answering from the setting when it holds this organisation's."""
    setting = _setting(function)
    return f"""
    DECLARE
      me constant text := coalesce(public.portal_current_organisation()::text, '');
      kept constant text := coalesce(current_setting('{setting}', true), '');
      found uuid[];
    BEGIN
      IF me <> '' AND starts_with(kept, me || '=') THEN
        RETURN substr(kept, length(me) + 2)::uuid[];
      END IF;
      {query} INTO found;
      IF me <> '' THEN
        PERFORM set_config('{setting}', me || '=' || found::text, true);
      END IF;
      RETURN found;
    END"""


def _replace(function: str, language: str, body: str) -> None:
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION public.{function}() RETURNS uuid[]
        LANGUAGE {language} STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $body$ {body} $body$
        """
    )


def upgrade() -> None:
    # CREATE OR REPLACE keeps each function's oid, owner and grants, so every policy
    # calling it (by oid) gets the kept answer without being written again
    for function, query in ANSWERS.items():
        _replace(function, "plpgsql", _kept(function, query))
    forget = ", ".join(f"set_config('{_setting(f)}', '', true)" for f in ANSWERS)
    op.execute(
        f"""
        CREATE FUNCTION public.portal_forget_principal() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
        AS $$ BEGIN PERFORM {forget}; RETURN NULL; END $$
        """
    )
    for table in SOURCES:
        op.execute(
            f"CREATE TRIGGER {table}_forget_principal"
            f" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON public.{table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION public.portal_forget_principal()"
        )


def downgrade() -> None:
    for table in SOURCES:
        op.execute(f"DROP TRIGGER {table}_forget_principal ON public.{table}")
    op.execute("DROP FUNCTION public.portal_forget_principal()")
    for function, query in ANSWERS.items():
        _replace(function, "sql", query.replace(ME, "public.portal_current_organisation()"))
