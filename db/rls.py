"""Row-level security building blocks, used by migrations.

The model: every tenant table has ENABLE and FORCE ROW LEVEL SECURITY, and policies for
the application role keyed on ``portal_current_organisation()`` (the transaction-local
setting written by ``db.session``). Policies that need to look across tenants (which
alliances is my organisation an active member of?) call SECURITY DEFINER functions owned
by ``portal_rls``, a role that cannot log in, whose only privilege is reading the few
tables those functions need; this avoids policy recursion without giving anyone
BYPASSRLS.
"""

from __future__ import annotations

from collections.abc import Iterable

from alembic import op

from db.session import APP_ROLE, JOB_ROLE, ORGANISATION_SETTING, SERVER_ROLE, SIGNIN_ROLE

DEFINER_ROLE = "portal_rls"

CURRENT_ORGANISATION = "public.portal_current_organisation()"
# Wrapped in a scalar sub-select so PostgreSQL evaluates it once per statement (an
# InitPlan) rather than once per row.
MEMBER_ALLIANCES = "((SELECT public.portal_member_alliances())::uuid[])"


def _execute(*statements: str) -> None:
    # asyncpg prepares each statement: one SQL command per call
    for statement in statements:
        op.execute(statement)


def create_roles() -> None:
    """Create the application and definer roles (cluster-wide, so idempotently)."""
    for role in (APP_ROLE, DEFINER_ROLE):
        _execute(
            f"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} NOLOGIN;
              END IF;
            END $$
            """,
            # only a superuser may strip these; a role that has none is left alone
            f"""
            DO $$ BEGIN
              IF (SELECT rolsuper OR rolbypassrls OR rolcanlogin FROM pg_roles
                  WHERE rolname = '{role}') THEN
                ALTER ROLE {role} NOSUPERUSER NOBYPASSRLS NOLOGIN;
              END IF;
            END $$
            """,
        )
    # The connecting role switches into the app role per transaction; a superuser may
    # already, anyone else needs membership.
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
            EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
          END IF;
        END $$
        """
    )


def create_server_role() -> None:
    """Create the server's login role (cluster-wide, so idempotently): it may switch into
    the application role and do nothing else. ``NOINHERIT`` keeps the application role's
    privileges out of reach until a transaction switches into it; a password, if the
    server logs in over TCP, is the operator's to set (``PORTAL_SERVER_ROLE_PASSWORD``)."""
    _execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SERVER_ROLE}') THEN
            CREATE ROLE {SERVER_ROLE} LOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS
              NOCREATEDB NOCREATEROLE;
          END IF;
        END $$
        """,
        f"""
        DO $$ BEGIN
          IF (SELECT rolsuper OR rolbypassrls OR rolinherit OR rolcreaterole OR rolcreatedb
              FROM pg_roles WHERE rolname = '{SERVER_ROLE}') THEN
            ALTER ROLE {SERVER_ROLE} NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEDB NOCREATEROLE;
          END IF;
        END $$
        """,
        f"GRANT {APP_ROLE} TO {SERVER_ROLE}",
    )


def _create_server_role(role: str) -> None:
    """Create ``role`` (cluster-wide, idempotently) with no login and no privilege of its
    own; the server (and the migrating role, when it is no superuser) may switch into it."""
    _execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
            CREATE ROLE {role} NOLOGIN NOINHERIT;
          END IF;
        END $$
        """,
        f"GRANT {role} TO {SERVER_ROLE}",
        f"""
        DO $$ BEGIN
          IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
            EXECUTE format('GRANT {role} TO %I', current_user);
          END IF;
        END $$
        """,
    )


def create_job_role() -> None:
    """The jobs' role: no privilege but executing the functions that list due items."""
    _create_server_role(JOB_ROLE)


def create_signin_role() -> None:
    """The sign-in endpoints' role: no privilege until a migration grants it the identity
    tables."""
    _create_server_role(SIGNIN_ROLE)


def make_job_function(signature: str) -> None:
    """Let only the jobs' role call the definer function ``signature`` (it lists rows of
    every tenant, ids only)."""
    _execute(
        f"REVOKE EXECUTE ON FUNCTION public.{signature} FROM {APP_ROLE}",
        f"GRANT EXECUTE ON FUNCTION public.{signature} TO {JOB_ROLE}",
    )


def create_context_function() -> None:
    # NULLIF: after RESET, current_setting returns '' rather than NULL.
    op.execute(
        f"""
        CREATE FUNCTION public.portal_current_organisation() RETURNS uuid
        LANGUAGE sql STABLE PARALLEL SAFE
        AS $$ SELECT NULLIF(current_setting('{ORGANISATION_SETTING}', true), '')::uuid $$
        """
    )


def create_definer_function(signature: str, returns: str, body: str) -> None:
    """A SECURITY DEFINER SQL function owned by the definer role, callable by the app."""
    _execute(
        f"""
        CREATE FUNCTION public.{signature} RETURNS {returns}
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$ {body} $$
        """,
        f"ALTER FUNCTION public.{signature} OWNER TO {DEFINER_ROLE}",
        f"REVOKE ALL ON FUNCTION public.{signature} FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION public.{signature} TO {APP_ROLE}",
    )


def let_definer_read(table: str) -> None:
    """Allow the definer role (and so its functions) to read every row of ``table``."""
    _execute(
        f"GRANT SELECT ON public.{table} TO {DEFINER_ROLE}",
        f"CREATE POLICY {table}_definer_read ON public.{table} FOR SELECT TO {DEFINER_ROLE}"
        " USING (true)",
    )


def protect(table: str, privileges: Iterable[str]) -> None:
    """Enable and force RLS on ``table`` and grant the app role ``privileges`` only."""
    _execute(
        f"ALTER TABLE public.{table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE public.{table} FORCE ROW LEVEL SECURITY",
        f"GRANT {', '.join(privileges)} ON public.{table} TO {APP_ROLE}",
    )


def policy(
    table: str,
    name: str,
    command: str,
    *,
    using: str | None = None,
    check: str | None = None,
) -> None:
    """A permissive policy for the app role."""
    clauses = [f"CREATE POLICY {table}_{name} ON public.{table} FOR {command} TO {APP_ROLE}"]
    if using is not None:
        clauses.append(f"USING ({using})")
    if check is not None:
        clauses.append(f"WITH CHECK ({check})")
    op.execute("\n".join(clauses))


SEATED_COMMITTEES = "((SELECT public.portal_seated_committees())::uuid[])"
GRANTED_OBJECTS = "((SELECT public.portal_granted_objects())::uuid[])"


def visible_to_audience(*also: str) -> str:
    """The SQL form of an object's visibility (SPEC §4): alliance members, seat holders of
    the named committee, or the listed organisations; ``also`` widens it (e.g. the
    organisation that raised an issue)."""
    audience = [
        "visibility = 'alliance'",
        f"(visibility = 'committee' AND visibility_committee_id = ANY {SEATED_COMMITTEES})",
        f"(visibility = 'organisations' AND id = ANY {GRANTED_OBJECTS})",
        *also,
    ]
    return f"alliance_id = ANY {MEMBER_ALLIANCES} AND ({' OR '.join(audience)})"
