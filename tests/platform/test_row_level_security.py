"""The second wall: PostgreSQL itself keeps tenants apart, whatever the application asks."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.models import Alliance, ApiToken, AuditEntry, Event, Membership, User
from db.session import (
    APP_ROLE,
    JOB_ROLE,
    SERVER_ROLE,
    create_engine,
    make_sessionmaker,
    tenant_session,
)
from db.tables import TENANT_TABLES
from tests.builders import World


async def test_every_tenant_table_forces_rls_with_a_policy(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    """
                    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                           (SELECT count(*) FROM pg_policy p
                             WHERE p.polrelid = c.oid
                               AND (SELECT oid FROM pg_roles WHERE rolname = :role)
                                   = ANY (p.polroles)) AS app_policies,
                           has_table_privilege(:role, c.oid, 'SELECT, INSERT, UPDATE, DELETE')
                               AS app_privileged
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind = 'r'
                      AND c.relname <> 'alembic_version'
                    """
                ),
                {"role": APP_ROLE},
            )
        ).all()
    tables = {row.relname: row for row in rows}
    assert set(tables) == set(TENANT_TABLES), "a new table must be listed in TENANT_TABLES"
    for name, row in tables.items():
        assert row.relrowsecurity, f"{name}: RLS not enabled"
        assert row.relforcerowsecurity, f"{name}: RLS not forced"
        # the sign-in endpoints' own tables are out of the application role's reach entirely
        if row.app_privileged:
            assert row.app_policies > 0, f"{name}: no policy for {APP_ROLE}"


async def test_app_role_is_neither_superuser_nor_owner_nor_bypassing(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        role = (
            await connection.execute(
                text("SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = :r"),
                {"r": APP_ROLE},
            )
        ).one()
        owned = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
                "WHERE r.rolname = :r"
            ),
            {"r": APP_ROLE},
        )
    assert (role.rolsuper, role.rolbypassrls) == (False, False)
    assert owned == 0


async def test_tenant_transactions_run_as_the_app_role(engine: AsyncEngine, world: World) -> None:
    org = await world.organisation()
    async with tenant_session(world.sessions, org.id) as session:
        user, setting = (
            await session.execute(
                text("SELECT current_user, current_setting('portal.organisation_id')")
            )
        ).one()
    assert (user, setting) == (APP_ROLE, str(org.id))


async def test_query_skipping_the_application_filter_sees_only_own_rows(world: World) -> None:
    alpha, beta, gamma = [await world.organisation(s) for s in ("alpha", "beta", "gamma")]
    shared = await world.alliance(alpha, beta, name="Shared")
    private = await world.alliance(gamma, name="Gamma only")
    await world.token(gamma)

    # No policy filter at all: only RLS stands between beta and gamma's data.
    async with tenant_session(world.sessions, beta.id) as session:
        alliances = set(await session.scalars(select(Alliance.id)))
        members = {m.organisation_id for m in await session.scalars(select(Membership))}
        users = {u.organisation_id for u in await session.scalars(select(User))}
        tokens = list(await session.scalars(select(ApiToken)))
        events = {e.alliance_id for e in await session.scalars(select(Event))}
        audits = {a.organisation_id for a in await session.scalars(select(AuditEntry))}
    assert alliances == {shared}
    assert private not in alliances
    assert members == {alpha.id, beta.id}
    assert users == {beta.id}
    assert tokens == []
    assert events <= {shared, None}
    assert audits <= {beta.id}


async def test_no_tenant_context_sees_nothing(world: World) -> None:
    alpha = await world.organisation()
    await world.alliance(alpha)
    async with tenant_session(world.sessions, None) as session:
        for model in (Alliance, Membership, User, ApiToken, Event, AuditEntry):
            assert list(await session.scalars(select(model))) == [], model.__name__


async def test_rls_refuses_writes_into_another_tenant(world: World) -> None:
    alpha, beta = await world.organisation("alpha"), await world.organisation("beta")
    theirs = await world.alliance(alpha)
    async with tenant_session(world.sessions, beta.id) as session:
        session.add(Membership(alliance_id=theirs, organisation_id=beta.id, role="partner"))
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.flush()
    async with tenant_session(world.sessions, beta.id) as session:
        updated = await session.execute(
            text("UPDATE alliances SET name = 'hijacked' WHERE id = :id"), {"id": theirs}
        )
        assert updated.rowcount == 0  # type: ignore[attr-defined]


async def test_audit_entries_cannot_be_changed_by_the_app_role(world: World) -> None:
    alpha = await world.organisation()
    await world.alliance(alpha)
    for statement in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"):
        async with tenant_session(world.sessions, alpha.id) as session:
            with pytest.raises(DBAPIError, match="permission denied"):
                await session.execute(text(statement))


async def test_pooled_connection_never_carries_a_tenant_to_the_next(
    database_url: str, world: World
) -> None:
    alpha, beta = await world.organisation("alpha"), await world.organisation("beta")
    alpha_alliance = await world.alliance(alpha, name="Alpha's")
    beta_alliance = await world.alliance(beta, name="Beta's")
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    sessions = make_sessionmaker(engine)
    try:
        for _ in range(10):
            for org, expected in ((alpha, alpha_alliance), (beta, beta_alliance), (None, None)):
                async with tenant_session(sessions, org.id if org else None) as session:
                    seen = set(await session.scalars(select(Alliance.id)))
                    await session.commit()
                assert seen == ({expected} if expected else set())
        # and a plain (operator) connection afterwards is back to its own role
        async with engine.connect() as connection:
            setting = await connection.scalar(
                text("SELECT current_setting('portal.organisation_id', true)")
            )
            assert await connection.scalar(text("SELECT current_user")) != APP_ROLE
            assert setting in (None, "")
    finally:
        await engine.dispose()


async def test_concurrent_tenants_on_a_small_pool_stay_apart(
    database_url: str, world: World
) -> None:
    orgs = [await world.organisation(f"org-{i}") for i in range(4)]
    expected = {org.id: await world.alliance(org, name=f"A{i}") for i, org in enumerate(orgs)}
    engine = create_engine(database_url, pool_size=2, max_overflow=0)
    sessions = make_sessionmaker(engine)

    async def look(org_id: uuid.UUID) -> tuple[uuid.UUID, set[uuid.UUID]]:
        async with tenant_session(sessions, org_id) as session:
            seen = set(await session.scalars(select(Alliance.id)))
            await asyncio.sleep(0)
            return org_id, seen

    try:
        results = await asyncio.gather(*(look(org.id) for org in orgs * 5))
    finally:
        await engine.dispose()
    for org_id, seen in results:
        assert seen == {expected[org_id]}


async def test_the_server_login_can_become_the_app_role_and_nothing_else(
    server_engine: AsyncEngine,
) -> None:
    from portal.database import login_problems

    assert await login_problems(server_engine) == []
    attempts = [
        "RESET ROLE; SELECT count(*) FROM organisations",
        "SELECT count(*) FROM plans",
        "SET ROLE portal_rls",
        "SELECT public.portal_member_alliances()",
        "SET ROLE postgres",
    ]
    for statement in attempts:
        async with server_engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            with pytest.raises(Exception, match=r"permission denied|does not exist"):
                await driver.execute(statement)


async def test_an_operator_login_is_named_as_too_powerful_for_the_server(
    engine: AsyncEngine,
) -> None:
    from portal.database import login_problems

    assert "it is a superuser" in await login_problems(engine)


REACHABLE_BY_DESIGN = {
    "portal_api_token_by_hash": "finds a token by the keyed hash of its secret, before the "
    "organisation is known; only the secret's holder can name the hash",
    "portal_organisation_id": "an organisation's id by its public slug, which partners use "
    "to invite one another",
    "portal_signed_in_role": "confirms the person, grant and client named by the verified "
    "claims of a portal-signed access token, within the organisation the token names",
}
"""Definer functions the application may call although they are not bound to its tenant."""

REQUEST_START = {"portal_api_token_by_hash", "portal_signed_in_role"}
"""The credential lookups the server's login calls itself: a request's first statement
finds its credential and only then switches into the application role."""


async def test_every_definer_function_is_tenant_bound_or_out_of_the_apps_reach(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as connection:
        functions = (
            await connection.execute(
                text(
                    """
                    SELECT p.proname, p.prosrc,
                           has_function_privilege(:app, p.oid, 'EXECUTE') AS app,
                           has_function_privilege(:jobs, p.oid, 'EXECUTE') AS jobs,
                           has_function_privilege(:server, p.oid, 'EXECUTE') AS server
                    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname = 'public' AND p.prosecdef
                    """
                ),
                {"app": APP_ROLE, "jobs": JOB_ROLE, "server": SERVER_ROLE},
            )
        ).all()
    assert len(functions) >= 10
    # bound: reads the tenant of the transaction, itself or through a bound function
    bound = {"portal_current_organisation"}
    while True:
        more = {f.proname for f in functions if any(f"{b}(" in f.prosrc for b in bound)}
        if more <= bound:
            break
        bound |= more
    for function in functions:
        # the server's login, without switching roles, reaches only the request start
        assert function.server == (function.proname in REQUEST_START), function.proname
        if function.app:
            assert function.proname in bound | set(REACHABLE_BY_DESIGN), (
                f"{function.proname} is callable by {APP_ROLE} and not bound to its tenant"
            )
        else:
            assert function.jobs, f"{function.proname} is callable by no one"


async def test_a_request_cannot_list_other_tenants_due_items(world: World) -> None:
    alpha = await world.organisation()
    await world.alliance(alpha)
    for function in (
        "portal_minutes_due_for_tacit_approval",
        "portal_issues_due_for_escalation",
        "portal_written_decisions_due",
    ):
        async with tenant_session(world.sessions, alpha.id) as session:
            with pytest.raises(DBAPIError, match="permission denied"):
                await session.execute(text(f"SELECT * FROM public.{function}(now())"))


# --- the principal, read once per transaction (migration 0018) ---------------------------


async def _visible_alliances(connection: AsyncConnection, org: uuid.UUID) -> set[uuid.UUID]:
    """The alliances ``org`` sees, asked as the app role inside the open transaction."""
    await connection.execute(
        text("SELECT set_config('portal.organisation_id', :org, true)"), {"org": str(org)}
    )
    await connection.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
    seen = set((await connection.scalars(select(Alliance.id))).all())
    await connection.execute(text("RESET ROLE"))
    return seen


async def test_a_transaction_sees_its_own_membership_changes(
    engine: AsyncEngine, world: World
) -> None:
    """The policies keep the principal's alliances for the transaction, and forget them
    when the transaction writes a membership (or a seat, a grant...)."""
    alpha, beta = await world.organisation("alpha"), await world.organisation("beta")
    shared = await world.alliance(alpha, beta, name="Shared")
    async with engine.connect() as connection:  # the operator's, to write past the policies
        assert await _visible_alliances(connection, beta.id) == {shared}
        await connection.execute(
            text("UPDATE memberships SET left_at = now() WHERE organisation_id = :org"),
            {"org": beta.id},
        )
        assert await _visible_alliances(connection, beta.id) == set()
        await connection.rollback()


async def test_the_principal_kept_for_one_organisation_is_not_anothers(
    engine: AsyncEngine, world: World
) -> None:
    """What a transaction keeps is tagged with its organisation: switching the organisation
    mid-transaction, or a kept value tagged with another, is asked again."""
    alpha, beta = await world.organisation("alpha"), await world.organisation("beta")
    theirs = await world.alliance(alpha, name="Alpha's")
    ours = await world.alliance(beta, name="Beta's")
    async with engine.connect() as connection:
        assert await _visible_alliances(connection, alpha.id) == {theirs}
        assert await _visible_alliances(connection, beta.id) == {ours}
        assert await _visible_alliances(connection, alpha.id) == {theirs}
        # alpha's answer under beta's tag: beta asks its own
        await connection.execute(
            text("SELECT set_config('portal.principal_member_alliances', :kept, true)"),
            {"kept": f"{alpha.id}={{{theirs}}}"},
        )
        assert await _visible_alliances(connection, beta.id) == {ours}
        await connection.rollback()
    async with engine.connect() as connection:  # and nothing outlives the transaction
        kept = await connection.scalar(
            text("SELECT current_setting('portal.principal_member_alliances', true)")
        )
        assert kept in (None, "")
